namespace CampaignFinance.Tests;

/// <summary>
/// The app's clock moved to a fixed day, still ticking: "today", "the future" and "this year" are known to the tests, while
/// timers and the outbox relay, which read the same clock, run at the real pace.
/// </summary>
public sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    readonly TimeSpan _offset = start - System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;
}
