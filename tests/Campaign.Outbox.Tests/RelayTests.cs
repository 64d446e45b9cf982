using System.Diagnostics.Metrics;
using Campaign.Outbox.Relay;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace Campaign.Outbox.Tests;

public sealed class RelayTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    readonly Received _received = new();

    [Fact]
    public async Task Three_relays_under_concurrent_writers_deliver_every_message_once()
    {
        var run = _received.NewRun();
        await using var first = await OutboxHost.StartAsync(database.ConnectionString, "three", _received);
        await using var second = await OutboxHost.StartAsync(database.ConnectionString, "three", _received);
        await using var third = await OutboxHost.StartAsync(database.ConnectionString, "three", _received);

        // 3 writers x 150 units of work x 2 messages, all at once.
        await Task.WhenAll(new[] { first, second, third }.Select(host => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
                await host.RecordPledgeAsync(run, count: 2);
        })));

        var arrived = await _received.WaitFor<PledgeRecorded>(run, 900, TimeSpan.FromSeconds(90));
        Assert.Equal(900, arrived.Count);
        Assert.Equal(900, arrived.Select(a => a.MessageId).Distinct().Count());

        // A relay records a delivery after the broker confirmed it, so the last records may trail the last arrival a little.
        await Eventually.Until(() => first.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()), n => n == 0, "every sent message deleted");
        await Eventually.Until(() => first.QueryAsync(db => db.Set<OutboxState>().CountAsync()), n => n == 0, "every unit of work deleted");
    }

    [Fact]
    public async Task A_relay_that_dies_between_send_and_delete_resends_and_the_inbox_keeps_the_effect_single()
    {
        var run = _received.NewRun();
        var pledgeId = Guid.NewGuid();

        // Deleting the sent PledgeRecorded fails twice, as if the process died after the broker confirmed and before it
        // recorded that: the row stays, leased, and when the lease runs out a pass sends it again. Twice, because a record
        // that rode with the next claim is retried once on its own.
        await using (var db = new PledgeDbContext(PledgeNaming.Default.Options(database.ConnectionString)))
        {
            await db.Database.ExecuteSqlRawAsync("""
                CREATE SEQUENCE IF NOT EXISTS relay_crash;
                CREATE OR REPLACE FUNCTION relay_crash_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('relay_crash') <= 2 THEN RAISE EXCEPTION 'relay died before deleting'; END IF;
                    RETURN OLD;
                END $$;
                CREATE OR REPLACE TRIGGER relay_crash_once BEFORE DELETE ON "OutboxMessage"
                    FOR EACH ROW WHEN (OLD."MessageType" LIKE '%PledgeRecorded%') EXECUTE FUNCTION relay_crash_once();
                """);
        }

        try
        {
            await using var host = await OutboxHost.StartAsync(database.ConnectionString, "crash", _received, o =>
            {
                o.Recorder = false;
                o.Acknowledger = true;
                o.Outbox = outbox => outbox.UseBusOutbox(b =>
                {
                    b.LeaseDuration = TimeSpan.FromSeconds(4);
                    b.MessageDeliveryTimeout = TimeSpan.FromSeconds(2);
                });
            });
            await host.RecordPledgeAsync(run, pledgeId: pledgeId);

            Assert.Single(await _received.WaitFor<PledgeAcknowledged>(run, 1));
            var inbox = await WaitFor(host, async db =>
                await db.Set<InboxState>().Where(i => i.ReceiveCount >= 2 && i.Delivered != null).ToListAsync(), rows => rows.Count == 1);

            Assert.Single(inbox); // the broker delivered the same message twice ...
            var ack = await host.QueryAsync(db => db.Acknowledgements.SingleAsync(a => a.PledgeId == pledgeId));
            Assert.Equal(1, ack.Times); // ... and the consumer's effect happened once
            Assert.Single(_received.Of<PledgeAcknowledged>(run));
        }
        finally
        {
            await using var db = new PledgeDbContext(PledgeNaming.Default.Options(database.ConnectionString));
            await db.Database.ExecuteSqlRawAsync("""DROP TRIGGER IF EXISTS relay_crash_once ON "OutboxMessage";""");
        }
    }

    [Fact]
    public async Task A_message_that_cannot_be_sent_parks_its_own_outbox_while_the_others_flow_and_release_delivers_it()
    {
        var run = _received.NewRun();
        var poisonPledge = Guid.NewGuid();

        // Stored by a writer with no relay, then made unreadable: the relay's sends of it fail every time.
        await using (var writer = await OutboxHost.StartAsync(database.ConnectionString, "poison", new Received(), o =>
                     {
                         o.Relay = false;
                         o.Recorder = false;
                     }))
        {
            await writer.RecordPledgeAsync(run, pledgeId: poisonPledge);
            await writer.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
                """UPDATE "OutboxMessage" SET "Body" = 'not json' || "Body" WHERE "Body" LIKE {0}""", $"%{poisonPledge}%"));
        }

        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "poison", _received, o => o.Outbox = outbox =>
            outbox.UseBusOutbox(b =>
            {
                b.MaxDeliveryAttempts = 3;
                b.RetryDelay = TimeSpan.FromMilliseconds(50);
            }));
        for (var i = 0; i < 5; i++)
            await host.RecordPledgeAsync(run);

        var parkedOutboxes = host.Services.GetRequiredService<ParkedOutboxes<PledgeDbContext>>();
        var parked = await WaitFor(host, _ => parkedOutboxes.ListAsync(), list => list.Count == 1);
        var poison = Assert.Single(parked);
        Assert.Equal(3, poison.DeliveryAttempts);
        Assert.NotNull(poison.LastError);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Entries["outbox-PledgeDbContext"].Status);

        // The five good units of work were not held up by the poisoned one.
        Assert.Equal(5, (await _received.WaitFor<PledgeRecorded>(run, 5)).Count);
        Assert.DoesNotContain(_received.Of<PledgeRecorded>(run), r => r.Message.PledgeId == poisonPledge);

        // Fixed and released: delivered.
        await host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
            """UPDATE "OutboxMessage" SET "Body" = substr("Body", 9) WHERE "OutboxId" = {0}""", poison.OutboxId));
        Assert.True(await parkedOutboxes.ReleaseAsync(poison.OutboxId));
        Assert.Equal(6, (await _received.WaitFor<PledgeRecorded>(run, 6)).Count);
        Assert.Contains(_received.Of<PledgeRecorded>(run), r => r.Message.PledgeId == poisonPledge);
        Assert.Empty(await parkedOutboxes.ListAsync());
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries["outbox-PledgeDbContext"].Status);
    }

    [Fact]
    public async Task Deliveries_are_counted_and_their_commit_to_confirm_lag_recorded()
    {
        var run = _received.NewRun();
        var delivered = 0L;
        var lags = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OutboxMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "campaign.outbox.delivered")
                Interlocked.Add(ref delivered, value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "campaign.outbox.delivery_lag")
                lock (lags)
                    lags.Add(value);
        });
        listener.Start();

        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "metrics", _received);
        await host.RecordPledgeAsync(run, count: 3);
        await _received.WaitFor<PledgeRecorded>(run, 3);

        Assert.True(Interlocked.Read(ref delivered) >= 3);
        lock (lags)
            Assert.True(lags.Count >= 3 && lags.All(l => l >= 0));
    }

    static async Task<T> WaitFor<T>(OutboxHost host, Func<PledgeDbContext, Task<T>> query, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await host.QueryAsync(query);
            if (done(value) || DateTime.UtcNow > deadline)
                return value;
            await Task.Delay(50);
        }
    }
}
