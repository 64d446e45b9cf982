namespace Campaign.Outbox.Bench;

/// <summary>
/// The event every scenario sends. <paramref name="Run"/> tells this configuration run's messages from any other;
/// <paramref name="Seq"/> indexes the receiver's arrays; <paramref name="Stamp"/> is a <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp taken when the event is published, i.e. immediately before <c>SaveChangesAsync</c> on the outbox path.
/// Public: a message contract (MassTransit's, and seen by Wolverine's run-time generated code in the peer).
/// </summary>
#pragma warning disable CA1515 // a message contract
public sealed record BenchEvent(Guid Run, long Seq, long Stamp);
#pragma warning restore CA1515

/// <summary>The business row each benchmark transaction writes next to its event (ours and the peer's).</summary>
sealed class BusinessRow
{
    public Guid Id { get; set; }
    public long Seq { get; set; }
    public decimal Amount { get; set; }
    public DateTime CreatedAt { get; set; }
}
