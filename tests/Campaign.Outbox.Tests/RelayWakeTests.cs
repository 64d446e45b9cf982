using System.Diagnostics.Metrics;
using Campaign.Outbox.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>
/// What a commit costs an idle relay, however many workers it has: in another process one claim and one record (no empty
/// pass); in the writer's process one record (sent from memory), and no wake-up from its own NOTIFY.
/// </summary>
public sealed class RelayWakeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_commit_costs_an_idle_relay_one_claim_and_one_record_or_only_the_record_from_memory(bool relayInAnotherProcess)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_wake");
        var received = new Received();
        var topic = $"wake{(relayInAnotherProcess ? 2 : 1)}";

        // Four workers: each would have run a pass of its own when every commit woke all of them.
        static void FourWorkers(IEntityFrameworkOutboxConfigurator outbox) => outbox.UseBusOutbox(b => b.DeliveryConcurrency = 4);
        await using var relay = await OutboxHost.StartAsync(database.ConnectionString, topic, received, o => o.Outbox = FourWorkers);
        await using var writer = relayInAnotherProcess
            ? await OutboxHost.StartAsync(database.ConnectionString, topic, received, o =>
            {
                o.Relay = false;
                o.Recorder = false;
            })
            : null;
        var writes = writer ?? relay;

        using var roundTrips = new RoundTrips(relay.Services.GetRequiredService<IMeterFactory>());

        // The relay's first look at start-up, and a first commit to settle the listener, are not what is measured.
        var warmUp = received.NewRun();
        await writes.RecordPledgeAsync(warmUp);
        await received.WaitFor<PledgeRecorded>(warmUp, 1, TimeSpan.FromSeconds(60));
        await roundTrips.SettleAsync();

        for (var i = 0; i < 3; i++)
        {
            var run = received.NewRun();
            var (claims, records) = (roundTrips.Claims, roundTrips.Records);
            await writes.RecordPledgeAsync(run);
            Assert.Single(await received.WaitFor<PledgeRecorded>(run, 1, TimeSpan.FromSeconds(60)));
            await roundTrips.SettleAsync();

            // In the writer's process the unit is sent from memory: no claim, one record. In another process, a claim that found
            // the unit of work and the record that deleted it: no worker ran an empty pass.
            Assert.Equal((relayInAnotherProcess ? 1 : 0, 1), (roundTrips.Claims - claims, roundTrips.Records - records));
        }
    }

    [Fact]
    public async Task A_unit_larger_than_a_pass_is_delivered_by_passes_back_to_back_not_by_the_poll()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_wake_more");
        var received = new Received();
        var run = received.NewRun();

        // Ten messages a pass; the poll is five minutes away (OutboxHost), so only passes that follow each other deliver 25.
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "wake-more", received,
            o => o.Outbox = outbox => outbox.UseBusOutbox(b => b.MaxMessagesPerPass = 10));

        // In an explicit transaction: the unit goes through the relay's claim, not from memory.
        await host.WriteAsync(async (db, publish) =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 25m });
            for (var i = 0; i < 25; i++)
                await publish.Publish(new PledgeRecorded(run, Guid.NewGuid(), i));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        });

        var arrived = await received.WaitFor<PledgeRecorded>(run, 25, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, 25), arrived.Select(a => a.Message.Sequence));
    }

    /// <summary>The relay's database round trips (its meter, so other tests' hosts do not count).</summary>
    sealed class RoundTrips : IDisposable
    {
        readonly MeterListener _listener = new();
        long _claims;
        long _records;

        public RoundTrips(IMeterFactory relayMeters)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == relayMeters && instrument.Name == "campaign.outbox.relay_round_trips")
                    l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "kind", Value: "claim" })
                        Interlocked.Add(ref _claims, value);
                    else if (tag is { Key: "kind", Value: "record" })
                        Interlocked.Add(ref _records, value);
                }
            });
            _listener.Start();
        }

        public long Claims => Interlocked.Read(ref _claims);

        public long Records => Interlocked.Read(ref _records);

        long Count => Claims + Records;

        /// <summary>Waits until no round trip happened for a second (a busy machine may run a trailing pass late).</summary>
        public async Task SettleAsync()
        {
            var last = Count;
            for (var quiet = 0; quiet < 10; quiet++)
            {
                await Task.Delay(100);
                if (Count != last)
                {
                    last = Count;
                    quiet = -1;
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
