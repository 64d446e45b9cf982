using Campaign.Outbox.Relay;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>A pass leases what it claims instead of holding a transaction across sends, and loads a bounded amount.</summary>
public sealed class RelayLeaseTests
{
    [Fact]
    public async Task No_transaction_stays_open_while_a_pass_sends()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_lease");
        var received = new Received();
        var run = received.NewRun();
        await using (var writer = await OutboxHost.StartAsync(database.ConnectionString, "lease-open", received, o =>
                     {
                         o.Relay = false;
                         o.Recorder = false;
                     }))
        {
            for (var i = 0; i < 600; i++)
                await writer.RecordPledgeAsync(run, count: 2);
        }

        // While 1,200 messages go out, a transaction held across sends would show as "idle in transaction" most of the time.
        await using var monitor = new NpgsqlConnection(database.ConnectionString);
        await monitor.OpenAsync();

        // The relay's connections carry a name of their own, so the sampling below sees only them.
        var relayConnection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = "relay-under-test" }.ConnectionString;
        await using var relay = await OutboxHost.StartAsync(relayConnection, "lease-open", received, o => o.Recorder = false);
        var idleInTransaction = 0;
        var samples = 0;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            await using var sample = new NpgsqlCommand("""
                SELECT count(*) FILTER (WHERE application_name = 'relay-under-test' AND state LIKE 'idle in transaction%'),
                       (SELECT count(*) FROM "OutboxState")
                FROM pg_stat_activity WHERE datname = current_database()
                """, monitor);
            await using var reader = await sample.ExecuteReaderAsync();
            await reader.ReadAsync();
            idleInTransaction += (int)reader.GetInt64(0);
            samples++;
            if (reader.GetInt64(1) == 0)
                break;
        }

        Assert.True(samples > 5, $"the backlog drained before it could be watched ({samples} samples)");
        Assert.Equal(0, await relay.QueryAsync(db => db.Set<OutboxState>().CountAsync()));
        Assert.Equal(0, idleInTransaction);
    }

    /// <summary>
    /// Two ways a process leaves a lease when it dies: its relay claimed the unit and died before sending it, or its writer
    /// saved the unit leased to its own relay (to send from memory after the commit) and died before sending it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lease_left_by_a_process_that_died_runs_out_and_another_relay_delivers(bool leasedWhenWritten)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_lease");
        var received = new Received();
        var run = received.NewRun();
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, $"lease-died-{leasedWhenWritten}", received, o =>
        {
            o.Relay = false;
            o.Outbox = outbox => outbox.UseBusOutbox(b =>
            {
                // Room for a first send on a busy machine (a new channel, the exchange declared) within the pass's budget.
                b.LeaseDuration = TimeSpan.FromSeconds(10);
                b.MessageDeliveryTimeout = TimeSpan.FromSeconds(5);
            });
        });
        await writer.RecordPledgeAsync(run);

        if (leasedWhenWritten)
        {
            // As the writer's process leaves it: leased to its relay, no due time; the lease counts from Created.
            await writer.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
                """UPDATE "OutboxState" SET "LockId" = gen_random_uuid(), "NextAttemptAt" = NULL, "Created" = clock_timestamp()"""));
        }
        else
        {
            var store = writer.Services.GetRequiredService<OutboxStore<PledgeDbContext>>();
            Assert.Single((await store.ClaimAsync(Guid.NewGuid(), null, CancellationToken.None)).Units);
        }

        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(writer.Services);
        var whileLeased = await relay.RunPassAsync();
        Assert.Equal(0, whileLeased.Claimed);
        Assert.NotNull(whileLeased.NextDueIn); // the lease's end, so an idle relay looks again then
        Assert.InRange(whileLeased.NextDueIn!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(10));

        await Task.Delay(whileLeased.NextDueIn.Value + TimeSpan.FromMilliseconds(100));
        var afterLease = await relay.RunPassAsync();
        Assert.True(afterLease.Delivered == 1, $"after the lease ran out the pass did {afterLease}");
        Assert.Single(await received.WaitFor<PledgeRecorded>(run, 1));
        Assert.Equal(0, await writer.QueryAsync(db => db.Set<OutboxState>().CountAsync()));
    }

    [Fact]
    public async Task A_pass_loads_at_most_its_budget_of_messages_and_bytes_and_keeps_order_across_passes()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_budget");
        var received = new Received();
        var run = received.NewRun();
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, "budget", received, o =>
        {
            o.Relay = false;
            o.Outbox = outbox => outbox.UseBusOutbox(b => b.MaxMessagesPerPass = 10);
        });
        var large = Guid.NewGuid();
        await writer.RecordPledgeAsync(run, count: 25, pledgeId: large); // one unit of work of 25 messages, the oldest
        for (var i = 0; i < 5; i++)
            await writer.RecordPledgeAsync(run);

        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(writer.Services);
        var delivered = new List<int>();
        for (var pass = await relay.RunPassAsync(); pass.Claimed > 0; pass = await relay.RunPassAsync())
            delivered.Add(pass.Delivered);

        Assert.Equal([10, 10, 10], delivered);
        var arrived = await received.WaitFor<PledgeRecorded>(run, 30);
        Assert.Equal(Enumerable.Range(0, 25), arrived.Where(a => a.Message.PledgeId == large).Select(a => a.Message.Sequence));

        // A byte budget below one message: one message per pass, never none.
        await writer.RecordPledgeAsync(run, count: 3);
        var options = writer.Services.GetRequiredService<Configuration.EntityFrameworkOutboxOptions<PledgeDbContext>>();
        options.MaxBytesPerPass = 1;
        Assert.Equal(1, (await relay.RunPassAsync()).Delivered);
        Assert.Equal(1, (await relay.RunPassAsync()).Delivered);
        Assert.Equal(1, (await relay.RunPassAsync()).Delivered);
        Assert.Equal(0, (await relay.RunPassAsync()).Claimed);
    }
}
