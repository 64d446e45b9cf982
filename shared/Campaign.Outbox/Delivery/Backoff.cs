namespace Campaign.Outbox.Delivery;

/// <summary>
/// Exponential back-off with jitter, the one used by every delivery worker: a failed attempt waits <c>first</c>, then twice
/// as long per further attempt, capped, each wait spread by ±25 % so that instances that failed together do not retry together.
/// </summary>
public static class Backoff
{
    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failed attempt (1-based).</summary>
    public static TimeSpan After(int failedAttempts, TimeSpan first, TimeSpan max)
    {
        var exponential = first.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Min(capped * Jitter(), max.TotalMilliseconds));
    }

    /// <summary>For a worker that keeps failing as a whole (broker or database away): 250 ms, doubling, at most 15 s.</summary>
    public static TimeSpan Next(TimeSpan previous)
    {
        var next = previous == TimeSpan.Zero ? TimeSpan.FromMilliseconds(250) : previous * 2;
        if (next > TimeSpan.FromSeconds(15))
            next = TimeSpan.FromSeconds(15);
        return next * Jitter();
    }

#pragma warning disable CA5394 // jitter, not security
    static double Jitter() => 0.75 + (Random.Shared.NextDouble() * 0.5);
#pragma warning restore CA5394
}
