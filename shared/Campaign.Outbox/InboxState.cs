namespace Campaign.Outbox;

/// <summary>
/// One row per (message, consumer): how the consumer outbox remembers that a message was consumed,
/// so a redelivery does not run the consumer again. Same shape as MassTransit's own InboxState.
/// </summary>
public class InboxState
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid ConsumerId { get; set; }
    public Guid LockId { get; set; }
    public byte[]? RowVersion { get; set; }
    public DateTime Received { get; set; }
    public int ReceiveCount { get; set; }
    public DateTime? ExpirationTime { get; set; }
    public DateTime? Consumed { get; set; }
    public DateTime? Delivered { get; set; }
    public long? LastSequenceNumber { get; set; }
}
