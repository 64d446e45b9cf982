namespace Campaign.Outbox.Bench;

/// <summary>
/// The event every scenario sends. <paramref name="Run"/> tells this configuration run's messages from any other;
/// <paramref name="Seq"/> indexes the receiver's arrays; <paramref name="Stamp"/> is a <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp taken when the event is published, i.e. immediately before <c>SaveChangesAsync</c> on the outbox path.
/// Public: MassTransit message types are public contracts.
/// </summary>
#pragma warning disable CA1515 // a message contract, serialized by MassTransit
public sealed record BenchEvent(Guid Run, long Seq, long Stamp);
#pragma warning restore CA1515
