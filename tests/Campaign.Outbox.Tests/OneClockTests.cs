using System.Diagnostics.Metrics;
using Campaign.Outbox.Relay;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>Due times, ages and lag are the database's clock: hosts whose clocks are off neither stall delivery nor report false lag.</summary>
public sealed class OneClockTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(+1)]
    public async Task Writers_and_relays_with_clocks_an_hour_off_deliver_at_once_and_report_true_ages(int hours)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_clock");
        var received = new Received();
        var run = received.NewRun();
        // Every outbox host in this process reports to the listener (other test classes run alongside): only this relay's count.
        var lags = new List<(object? Scope, double Lag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OutboxMetrics.MeterName && instrument.Name == "campaign.outbox.delivery_lag")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (lags)
                lags.Add((instrument.Meter.Scope, value));
        });
        listener.Start();

        // The writer's clock is off one way, the relay's the other.
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, $"clock{hours}", received, o =>
        {
            o.Relay = false;
            o.Recorder = false;
            o.Clock = new SkewedClock(TimeSpan.FromHours(hours));
        });
        await using var relay = await OutboxHost.StartAsync(database.ConnectionString, $"clock{hours}", received,
            o => o.Clock = new SkewedClock(TimeSpan.FromHours(-hours)));

        await writer.RecordPledgeAsync(run, count: 3);
        Assert.Equal(3, (await received.WaitFor<PledgeRecorded>(run, 3, TimeSpan.FromSeconds(60))).Count);

        var relayMeters = relay.Services.GetRequiredService<IMeterFactory>();
        List<double> Ours()
        {
            lock (lags)
                return [.. lags.Where(l => ReferenceEquals(l.Scope, relayMeters)).Select(l => l.Lag)];
        }
        // The relay records a message's lag once the broker confirmed it, which may be just after the consumer got it.
        var ours = await Eventually.Until(() => Task.FromResult(Ours()), l => l.Count == 3, "the relay recorded the three messages' lag", TimeSpan.FromSeconds(10));
        Assert.All(ours, lag => Assert.InRange(lag, 0, 60_000)); // seconds at most, never an hour

        // A unit of work that waits: its age is true on a host an hour off.
        await writer.QueryAsync(db => db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "OutboxState" ("OutboxId", "LockId", "Parked") VALUES (gen_random_uuid(), gen_random_uuid(), NULL);
            UPDATE "OutboxState" SET "NextAttemptAt" = clock_timestamp() + interval '1 hour', "Created" = clock_timestamp() - interval '5 seconds'
            """));
        var backlog = await relay.Services.GetRequiredService<OutboxBacklogReader<PledgeDbContext>>().ReadAsync();
        Assert.InRange(backlog.OldestAge, TimeSpan.FromSeconds(4), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_pass_that_finds_nothing_due_says_when_the_next_unit_falls_due_by_the_database_s_clock()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_clock");
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, "clock-due", new Received(), o =>
        {
            o.Relay = false;
            o.Recorder = false;
            o.Clock = new SkewedClock(TimeSpan.FromHours(2)); // a relay on this host would have thought it long due
        });
        await writer.RecordPledgeAsync(Guid.NewGuid());
        await writer.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
            """UPDATE "OutboxState" SET "DeliveryAttempts" = 1, "NextAttemptAt" = clock_timestamp() + interval '30 seconds'"""));

        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(writer.Services);
        var pass = await relay.RunPassAsync();

        Assert.Equal(0, pass.Claimed);
        Assert.NotNull(pass.NextDueIn);
        Assert.InRange(pass.NextDueIn!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
    }

    sealed class SkewedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
