using Campaign.Outbox.Relay;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>How the relay schedules an outbox that is backing off after a failed attempt. Its own database: a pass claims every due row.</summary>
public sealed class RelayBackoffTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    [Fact]
    public async Task A_pass_that_finds_nothing_due_still_names_a_retry_that_falls_due_while_it_runs()
    {
        var due = new DateTime(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, "backoff", new Received(), o =>
        {
            o.Relay = false;
            o.Recorder = false;
        });
        await writer.RecordPledgeAsync(Guid.NewGuid());
        await writer.QueryAsync(db => db.Set<OutboxState>().ExecuteUpdateAsync(s => s
            .SetProperty(o => o.DeliveryAttempts, 1)
            .SetProperty(o => o.NextAttemptAt, due)));

        // The pass starts a millisecond before the retry is due and its clock has passed it a millisecond later, as when the
        // back-off timer fires a fraction early. The outbox is not claimed, so the pass must say when it is due; it used to
        // say nothing, and the outbox waited for the poll (5 minutes in these hosts) instead of its back-off.
        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(
            writer.Services, new SteppingClock(due.AddMilliseconds(-1), due.AddMilliseconds(1)));
        var pass = await relay.RunPassAsync();

        Assert.Equal(0, pass.Claimed);
        Assert.Equal(due, pass.NextRetry);
    }

    /// <summary>Answers each reading with the next instant given, then keeps the last.</summary>
    sealed class SteppingClock(params DateTime[] readings) : TimeProvider
    {
        readonly Queue<DateTime> _readings = new(readings);

        public override DateTimeOffset GetUtcNow() => _readings.Count > 1 ? _readings.Dequeue() : _readings.Peek();
    }
}
