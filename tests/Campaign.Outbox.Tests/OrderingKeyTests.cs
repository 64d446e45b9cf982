using Campaign.Outbox.Relay;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>Units of work with the same ordering key are delivered in commit order, by any number of relays.</summary>
public sealed class OrderingKeyTests
{
    [Fact]
    public async Task Three_relays_deliver_each_key_in_commit_order()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_order");
        var received = new Received();
        var run = received.NewRun();

        // One consumer (one message at a time), three relays: arrival order is the order the relays sent in.
        await using var first = await OutboxHost.StartAsync(database.ConnectionString, "order", received);
        await using var second = await OutboxHost.StartAsync(database.ConnectionString, "order", received, o => o.Recorder = false);
        await using var third = await OutboxHost.StartAsync(database.ConnectionString, "order", received, o => o.Recorder = false);
        OutboxHost[] hosts = [first, second, third];

        // Six donors; each one's units of work are written one after the other (so their commit order is known) by a
        // different host in turn, while the other donors' writers run at the same time.
        const int donors = 6, perDonor = 40;
        var keys = Enumerable.Range(0, donors).Select(_ => Guid.NewGuid()).ToArray();
        await Task.WhenAll(keys.Select((key, d) => Task.Run(async () =>
        {
            for (var i = 0; i < perDonor; i++)
            {
                await hosts[(d + i) % hosts.Length].WriteAsync(async (db, publish) =>
                {
                    db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = i });
                    await publish.Publish(new PledgeRecorded(run, key, i), c => c.SetOrderingKey(key.ToString()));
                    await db.SaveChangesAsync();
                });
            }
        })));

        var arrived = await received.WaitFor<PledgeRecorded>(run, donors * perDonor, TimeSpan.FromSeconds(120));
        Assert.Equal(donors * perDonor, arrived.Count);
        foreach (var key in keys)
            Assert.Equal(Enumerable.Range(0, perDonor), arrived.Where(a => a.Message.PledgeId == key).Select(a => a.Message.Sequence));
    }

    [Fact]
    public async Task Commit_order_wins_over_start_order_and_a_parked_unit_holds_back_only_its_own_key()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_order");
        var received = new Received();
        var run = received.NewRun();
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, "order-commit", received, o => o.Relay = false);
        var donor = Guid.NewGuid().ToString();

        // The first transaction stores its unit of work first but commits second.
        await using var scope1 = writer.Services.CreateAsyncScope();
        var db1 = scope1.ServiceProvider.GetRequiredService<PledgeDbContext>();
        await using var tx1 = await db1.Database.BeginTransactionAsync();
        await scope1.ServiceProvider.GetRequiredService<IPublishEndpoint>()
            .Publish(new PledgeRecorded(run, Guid.Empty, 1), c => c.SetOrderingKey(donor));
        await db1.SaveChangesAsync();

        await writer.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 2), c => c.SetOrderingKey(donor));
            await db.SaveChangesAsync();
        });
        await tx1.CommitAsync();

        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(writer.Services);
        while ((await relay.RunPassAsync()).Claimed > 0)
        {
        }
        var arrived = await received.WaitFor<PledgeRecorded>(run, 2);
        Assert.Equal([2, 1], arrived.Select(a => a.Message.Sequence));

        // A parked unit of work stops the units of its key behind it, and nothing else.
        await writer.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 3), c => c.SetOrderingKey(donor));
            await db.SaveChangesAsync();
        });
        await writer.QueryAsync(db => db.Set<OutboxState>().ExecuteUpdateAsync(s => s.SetProperty(o => o.Parked, DateTime.UtcNow)));
        await writer.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 4), c => c.SetOrderingKey(donor));
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 5), c => c.SetOrderingKey("another donor"));
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 6));
            await db.SaveChangesAsync();
        });
        while ((await relay.RunPassAsync()).Claimed > 0)
        {
        }
        arrived = await received.WaitFor<PledgeRecorded>(run, 4);
        Assert.Equal([5, 6], arrived.Skip(2).Select(a => a.Message.Sequence).Order());
        Assert.Equal(2, await writer.QueryAsync(db => db.Set<OutboxState>().CountAsync())); // 3 parked, 4 behind it

        var parked = writer.Services.GetRequiredService<ParkedOutboxes<PledgeDbContext>>();
        Assert.True(await parked.ReleaseAsync((await parked.ListAsync()).Single().OutboxId));
        while ((await relay.RunPassAsync()).Claimed > 0)
        {
        }
        arrived = await received.WaitFor<PledgeRecorded>(run, 6);
        Assert.Equal([3, 4], arrived.Skip(4).Select(a => a.Message.Sequence));
    }
}
