namespace Campaign.Outbox;

/// <summary>
/// One row per unit of work of the bus outbox (a SaveChanges that stored messages, per ordering key). The relay claims these
/// rows. <see cref="Created"/> is the database's clock (a column default), so hosts with skewed clocks agree on ages; a
/// scheduled message's unit has its due time there instead (<see cref="Scheduled"/>).
/// The first six columns are MassTransit's; the delivery bookkeeping after them is ours, nullable or defaulted,
/// so MassTransit's own package can still read and write the table.
/// </summary>
public class OutboxState
{
    public Guid OutboxId { get; set; }
    public Guid LockId { get; set; }
    public byte[]? RowVersion { get; set; }
    public DateTime Created { get; set; }
    public DateTime? Delivered { get; set; }
    public long? LastSequenceNumber { get; set; }

    /// <summary>Failed delivery attempts that were the message's fault (a broker outage does not count).</summary>
    public int DeliveryAttempts { get; set; }

    /// <summary>Not claimed again before this time: back-off after a failed attempt.</summary>
    public DateTime? NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>Set when the outbox was parked after too many attempts; the relay skips it until it is released.</summary>
    public DateTime? Parked { get; set; }

    /// <summary>
    /// Units of work with the same key are delivered in commit order (<see cref="OrderingKeyExtensions.SetOrderingKey"/>).
    /// For these, the ordering trigger sets <see cref="Created"/> at commit, under a lock on the key.
    /// </summary>
    public string? OrderingKey { get; set; }

    /// <summary>
    /// The unit of a message published or sent with a delay (MassTransit's <c>Delay</c>, its schedulers): a unit of its own,
    /// in line from its due time, so the relay leaves it until then and no broker plugin holds it. It has no ordering key: a
    /// key orders units by commit, and this one's place is its due time.
    /// </summary>
    internal static OutboxState Scheduled(DateTime due) => new() { OutboxId = MassTransit.NewId.NextGuid(), Created = due };
}
