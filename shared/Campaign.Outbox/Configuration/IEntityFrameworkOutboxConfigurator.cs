using System.Data;

namespace Campaign.Outbox.Configuration;

/// <summary>Configures the outbox of one DbContext, in the shape of MassTransit's own configurator.</summary>
public interface IEntityFrameworkOutboxConfigurator
{
    TimeSpan DuplicateDetectionWindow { get; set; }
    IsolationLevel IsolationLevel { get; set; }
    TimeSpan QueryDelay { get; set; }
    int QueryMessageLimit { get; set; }
    TimeSpan QueryTimeout { get; set; }

    /// <summary>PostgreSQL is the only database this outbox supports; the call keeps MassTransit's idiom.</summary>
    IEntityFrameworkOutboxConfigurator UsePostgres();

    /// <summary>Scoped publish and send endpoints write to the DbContext; the relay delivers what commits.</summary>
    void UseBusOutbox(Action<IEntityFrameworkBusOutboxConfigurator>? configure = null);

    void DisableInboxCleanupService();
}

/// <summary>Configures the bus outbox and its relay.</summary>
public interface IEntityFrameworkBusOutboxConfigurator
{
    int MessageDeliveryLimit { get; set; }
    TimeSpan MessageDeliveryTimeout { get; set; }
    int MaxDeliveryAttempts { get; set; }
    TimeSpan RetryDelay { get; set; }
    TimeSpan MaxRetryDelay { get; set; }
    int DeliveryConcurrency { get; set; }
    string NotificationChannel { get; set; }
    OutboxNotification Notification { get; set; }
    TimeSpan DegradedAfter { get; set; }
    int MaxMessagesPerPass { get; set; }
    long MaxBytesPerPass { get; set; }
    TimeSpan LeaseDuration { get; set; }
    long MaxMessageSize { get; set; }

    /// <summary>For write-only instances: messages are stored, another instance delivers them.</summary>
    void DisableDeliveryService();
}

sealed class OutboxConfigurator(EntityFrameworkOutboxOptions options) : IEntityFrameworkOutboxConfigurator, IEntityFrameworkBusOutboxConfigurator
{
    public TimeSpan DuplicateDetectionWindow { get => options.DuplicateDetectionWindow; set => options.DuplicateDetectionWindow = value; }
    public IsolationLevel IsolationLevel { get => options.IsolationLevel; set => options.IsolationLevel = value; }
    public TimeSpan QueryDelay { get => options.QueryDelay; set => options.QueryDelay = value; }
    public int QueryMessageLimit { get => options.QueryMessageLimit; set => options.QueryMessageLimit = value; }
    public TimeSpan QueryTimeout { get => options.QueryTimeout; set => options.QueryTimeout = value; }
    public int MessageDeliveryLimit { get => options.MessageDeliveryLimit; set => options.MessageDeliveryLimit = value; }
    public TimeSpan MessageDeliveryTimeout { get => options.MessageDeliveryTimeout; set => options.MessageDeliveryTimeout = value; }
    public int MaxDeliveryAttempts { get => options.MaxDeliveryAttempts; set => options.MaxDeliveryAttempts = value; }
    public TimeSpan RetryDelay { get => options.RetryDelay; set => options.RetryDelay = value; }
    public TimeSpan MaxRetryDelay { get => options.MaxRetryDelay; set => options.MaxRetryDelay = value; }
    public int DeliveryConcurrency { get => options.DeliveryConcurrency; set => options.DeliveryConcurrency = value; }
    public string NotificationChannel { get => options.NotificationChannel; set => options.NotificationChannel = value; }
    public TimeSpan DegradedAfter { get => options.DegradedAfter; set => options.DegradedAfter = value; }
    public OutboxNotification Notification { get => options.Notification; set => options.Notification = value; }
    public int MaxMessagesPerPass { get => options.MaxMessagesPerPass; set => options.MaxMessagesPerPass = value; }
    public long MaxBytesPerPass { get => options.MaxBytesPerPass; set => options.MaxBytesPerPass = value; }
    public TimeSpan LeaseDuration { get => options.LeaseDuration; set => options.LeaseDuration = value; }
    public long MaxMessageSize { get => options.MaxMessageSize; set => options.MaxMessageSize = value; }

    public IEntityFrameworkOutboxConfigurator UsePostgres() => this;

    public void UseBusOutbox(Action<IEntityFrameworkBusOutboxConfigurator>? configure = null)
    {
        options.BusOutboxEnabled = true;
        configure?.Invoke(this);
    }

    public void DisableInboxCleanupService() => options.InboxCleanupEnabled = false;

    public void DisableDeliveryService() => options.DeliveryServiceEnabled = false;

    public void Validate()
    {
        if (options.QueryMessageLimit < 1 || options.MessageDeliveryLimit < 1 || options.DeliveryConcurrency < 1 || options.MaxDeliveryAttempts < 1
            || options.MaxMessagesPerPass < 1 || options.MaxBytesPerPass < 1)
            throw new InvalidOperationException(
                "Outbox limits (QueryMessageLimit, MessageDeliveryLimit, DeliveryConcurrency, MaxDeliveryAttempts, MaxMessagesPerPass, MaxBytesPerPass) must be at least 1.");
        if (options.LeaseDuration < options.MessageDeliveryTimeout * 2)
            throw new InvalidOperationException("Outbox LeaseDuration must be at least twice MessageDeliveryTimeout: a pass must finish a send well within its lease.");
        if (string.IsNullOrWhiteSpace(options.NotificationChannel))
            throw new InvalidOperationException("Outbox NotificationChannel must not be empty.");
    }
}
