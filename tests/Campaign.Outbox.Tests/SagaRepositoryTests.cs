using Campaign.Outbox.Sagas;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>
/// The EF Core saga repository, behind the inbox on real PostgreSQL and RabbitMQ: the saga's state, the inbox row and what
/// the saga publishes commit in one transaction, in both concurrency modes.
/// </summary>
public sealed class SagaRepositoryTests
{
    static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(ConcurrencyMode.Optimistic)]
    [InlineData(ConcurrencyMode.Pessimistic)]
    public async Task Concurrent_events_for_one_instance_lose_no_update(ConcurrencyMode mode)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_saga_concurrent");
        var received = new Received();
        var run = received.NewRun();
        var topic = $"saga-concurrent-{mode}".ToLowerInvariant();

        // Three processes consume the saga's queue at once: the events for one pledge race each other.
        var hosts = new List<OutboxHost>();
        for (var i = 0; i < 3; i++)
            hosts.Add(await StartAsync(database.ConnectionString, topic, received, mode));
        try
        {
            var pledgeId = Guid.NewGuid();
            const int events = 20;
            await hosts[0].WriteAsync(async (db, publish) =>
            {
                for (var sequence = 0; sequence < events; sequence++)
                    await publish.Publish(new PledgeRecorded(run, pledgeId, sequence));
                await db.SaveChangesAsync();
            });

            Assert.Equal(events, (await received.WaitFor<PledgeAcknowledged>(run, events, TimeSpan.FromSeconds(90))).Count);
            var state = await Eventually.Until(() => hosts[0].QueryAsync(db => db.PledgeStates.AsNoTracking().SingleOrDefaultAsync()),
                s => s?.Times == events, $"the instance counted all {events} events");
            Assert.Equal(nameof(PledgeStateMachine.Counting), state!.CurrentState);
            await Task.Delay(Quiet);
            Assert.Equal(events, received.Of<PledgeAcknowledged>(run).Count);
        }
        finally
        {
            foreach (var host in hosts)
                await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_redelivered_event_has_one_effect()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_saga_redelivered");
        var received = new Received();
        var run = received.NewRun();
        await using var host = await StartAsync(database.ConnectionString, "saga-redelivered", received, ConcurrencyMode.Optimistic);
        var pledgeId = Guid.NewGuid();
        var messageId = NewId.NextGuid();

        // The same message twice (a redelivery after a lost acknowledgement looks like this), and a different one after it.
        await host.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, pledgeId, 0), ctx => ctx.MessageId = messageId);
            await publish.Publish(new PledgeRecorded(run, pledgeId, 0), ctx => ctx.MessageId = messageId);
            await publish.Publish(new PledgeRecorded(run, pledgeId, 1));
            await db.SaveChangesAsync();
        });

        Assert.Equal(2, (await received.WaitFor<PledgeAcknowledged>(run, 2, TimeSpan.FromSeconds(60))).Count);
        await Task.Delay(Quiet);
        Assert.Equal(2, received.Of<PledgeAcknowledged>(run).Count);
        Assert.Equal(2, await host.QueryAsync(db => db.PledgeStates.Where(s => s.CorrelationId == pledgeId).Select(s => s.Times).SingleAsync()));
    }

    [Theory]
    [InlineData(ConcurrencyMode.Optimistic)]
    [InlineData(ConcurrencyMode.Pessimistic)]
    public async Task A_fault_rolls_back_the_state_change_and_the_publish_together(ConcurrencyMode mode)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_saga_fault");
        var received = new Received();
        var run = received.NewRun();
        await using var host = await StartAsync(database.ConnectionString, $"saga-fault-{mode}".ToLowerInvariant(), received, mode,
            faults: true);
        var (opened, failing) = (Guid.NewGuid(), Guid.NewGuid());

        // An existing instance whose next event fails, and a new instance whose first event fails.
        await host.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, opened, 0));
            await db.SaveChangesAsync();
        });
        Assert.Single(await received.WaitFor<PledgeAcknowledged>(run, 1, TimeSpan.FromSeconds(60)));
        await host.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, opened, PledgeStateMachine.Failing));
            await publish.Publish(new PledgeRecorded(run, failing, PledgeStateMachine.Failing));
            await db.SaveChangesAsync();
        });

        // Both fail after their retries (MassTransit publishes their faults); neither the count nor the acknowledgement stays.
        Assert.Equal(2, (await received.WaitFor<Fault<PledgeRecorded>>(run, 2, TimeSpan.FromSeconds(60))).Count);
        await Task.Delay(Quiet);
        Assert.Single(received.Of<PledgeAcknowledged>(run));
        var states = await host.QueryAsync(db => db.PledgeStates.AsNoTracking().ToListAsync());
        Assert.Equal(1, Assert.Single(states, s => s.CorrelationId == opened).Times);
        Assert.DoesNotContain(states, s => s.CorrelationId == failing);
        await Eventually.Until(async () => await host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()) == 0,
            "the outbox holds nothing: the failed events' publishes were rolled back, the first one's delivered");
    }

    static Task<OutboxHost> StartAsync(string connectionString, string topic, Received received, ConcurrencyMode mode, bool faults = false) =>
        OutboxHost.StartAsync(connectionString, topic, received, o =>
        {
            o.Recorder = false;
            o.Retries = mode == ConcurrencyMode.Optimistic ? 20 : 5; // a conflict (or a race to create the instance) is retried on the new state
            o.Bus = bus =>
            {
                bus.AddSagaStateMachine<PledgeStateMachine, PledgeState>().EntityFrameworkRepository(r =>
                {
                    r.ConcurrencyMode = mode;
                    r.ExistingDbContext<PledgeDbContext>();
                    r.UsePostgres();
                });
                bus.AddConsumer<PledgeAcknowledgedRecorder>();
                if (faults)
                    bus.AddConsumer<PledgeFaultRecorder>();
            };
        });
}
