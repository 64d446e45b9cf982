using System.Data;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Configuration;

/// <summary>Settings of the outbox for one DbContext. Defaults follow MassTransit's where they are sound.</summary>
public class EntityFrameworkOutboxOptions
{
    /// <summary>How long a consumed message's inbox row is kept to catch redeliveries.</summary>
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Isolation of the inbox transactions. ReadCommitted is safe here: every decision is taken under a row lock
    /// (<c>ON CONFLICT DO UPDATE</c> / <c>FOR UPDATE</c>), so RepeatableRead's serialization failures buy nothing.
    /// </summary>
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadCommitted;

    /// <summary>Fallback poll interval of the relay; commits normally wake it at once through LISTEN/NOTIFY.</summary>
    public TimeSpan QueryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many outboxes (units of work) the relay claims per pass, and how many inbox rows cleanup deletes per batch.</summary>
    public int QueryMessageLimit { get; set; } = 500;

    /// <summary>Timeout of the relay's database commands.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool InboxCleanupEnabled { get; set; } = true;

    public bool BusOutboxEnabled { get; set; }

    public bool DeliveryServiceEnabled { get; set; } = true;

    /// <summary>Most messages of one outbox sent per pass; the rest follow in the next pass, in order.</summary>
    public int MessageDeliveryLimit { get; set; } = 100;

    /// <summary>How long one send may wait for the broker's confirm.</summary>
    public TimeSpan MessageDeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed attempts (that were the message's fault) before an outbox is parked.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>First back-off after a failed attempt; doubles per attempt, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Relay passes run at once; more than one overlaps database and broker round trips.</summary>
    public int DeliveryConcurrency { get; set; } = 2;

    /// <summary>The NOTIFY channel; must match the trigger created by <c>AddOutboxNotifyTrigger</c>.</summary>
    public string NotificationChannel { get; set; } = OutboxMigrationBuilderExtensions.DefaultChannel;

    /// <summary>The outbox health check reports Degraded when the oldest pending message is older than this.</summary>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the backlog figures (pending, oldest age, parked) are refreshed for metrics.</summary>
    public TimeSpan BacklogRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The options of the outbox stored in <typeparamref name="TDbContext"/>.</summary>
public sealed class EntityFrameworkOutboxOptions<TDbContext> : EntityFrameworkOutboxOptions
    where TDbContext : DbContext;
