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

    /// <summary>Most messages one relay pass loads (and holds in memory), over all the units of work it claims.</summary>
    public int MaxMessagesPerPass { get; set; } = 1000;

    /// <summary>Most message-body bytes one relay pass loads; a single larger message is still loaded, alone.</summary>
    public long MaxBytesPerPass { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How long a claimed unit of work belongs to the pass that claimed it. No transaction stays open while it is sent; a
    /// relay that dies leaves the lease to run out, then any relay takes the unit again. A pass stops sending well before.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest message body the relay sends (RabbitMQ 4's default <c>max_message_size</c>, 16 MiB). A larger one is refused
    /// before it reaches the broker, as the broker would refuse it: a fault of that message, which parks its unit of work.
    /// </summary>
    public long MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>How other processes' relays learn of a commit; the poll (<see cref="QueryDelay"/>) is the safety net of each.</summary>
    public OutboxNotification Notification { get; set; } = OutboxNotification.AfterCommit;

    /// <summary>
    /// A unit of work saved outside an explicit transaction, without an ordering key, in a process that runs the relay, is
    /// sent from memory once SaveChanges returns (no claim, no NOTIFY), leased to this process until it is recorded. Off: every
    /// unit goes through the relay's claim.
    /// </summary>
    public bool InlineDelivery { get; set; } = true;

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

    /// <summary>The NOTIFY channel (and the trigger's, with <see cref="OutboxNotification.Trigger"/>).</summary>
    public string NotificationChannel { get; set; } = OutboxMigrationBuilderExtensions.DefaultChannel;

    /// <summary>The channel as a quoted identifier, for LISTEN and NOTIFY.</summary>
    internal string QuotedChannel => $"\"{NotificationChannel.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    /// <summary>The outbox health check reports Degraded when the oldest pending message is older than this.</summary>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the backlog figures (pending, oldest age, parked) are refreshed for metrics.</summary>
    public TimeSpan BacklogRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>How a commit wakes the relays in other processes (the relay in the committing process is woken in memory).</summary>
public enum OutboxNotification
{
    /// <summary>
    /// After a local commit, one NOTIFY on its own connection, coalesced (at most one in flight per process), so no business
    /// transaction carries a pending NOTIFY: PostgreSQL serializes the commits of transactions that do, on a database-wide lock.
    /// </summary>
    AfterCommit,

    /// <summary>The <c>outbox_state_notify</c> trigger (<c>AddOutboxNotifyTrigger</c>): also for writers outside this library,
    /// at the price of that commit lock in every business transaction.</summary>
    Trigger,

    /// <summary>Other processes find commits when they poll.</summary>
    None,
}

/// <summary>The options of the outbox stored in <typeparamref name="TDbContext"/>.</summary>
public sealed class EntityFrameworkOutboxOptions<TDbContext> : EntityFrameworkOutboxOptions
    where TDbContext : DbContext;
