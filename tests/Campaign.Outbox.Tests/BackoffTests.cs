using Campaign.Outbox.Delivery;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>The one back-off every delivery worker uses (the relay, Communications' mail sender).</summary>
public sealed class BackoffTests
{
    [Fact]
    public void Waits_double_per_failed_attempt_within_a_quarter_either_way_and_never_pass_the_cap()
    {
        var first = TimeSpan.FromSeconds(2);
        var max = TimeSpan.FromSeconds(60);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var expected = Math.Min(2.0 * Math.Pow(2, attempt - 1), 60);
            for (var i = 0; i < 200; i++)
            {
                var wait = Backoff.After(attempt, first, max).TotalSeconds;
                Assert.InRange(wait, expected * 0.75, Math.Min(expected * 1.25, 60));
            }
        }
    }

    [Fact]
    public void A_worker_that_keeps_failing_as_a_whole_waits_from_a_quarter_second_up_to_fifteen()
    {
        var wait = TimeSpan.Zero;
        var waits = new List<double>();
        for (var i = 0; i < 12; i++)
            waits.Add((wait = Backoff.Next(wait)).TotalSeconds);

        Assert.InRange(waits[0], 0.1875, 0.3125);
        Assert.All(waits, w => Assert.InRange(w, 0.1875, 15 * 1.25));
        Assert.InRange(waits[^1], 15 * 0.75, 15 * 1.25);
    }
}
