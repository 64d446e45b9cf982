using Campaign.Outbox.Inbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

public sealed class InboxTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    readonly Received _received = new();

    [Fact]
    public async Task The_same_message_delivered_twice_runs_the_consumer_once()
    {
        var run = _received.NewRun();
        var pledgeId = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "twice", _received, o =>
        {
            o.Recorder = false;
            o.Acknowledger = true;
        });

        var bus = host.Services.GetRequiredService<IBus>();
        for (var i = 0; i < 2; i++)
            await bus.Publish(new PledgeRecorded(run, pledgeId, 0), ctx => ctx.MessageId = messageId);

        Assert.Single(await _received.WaitFor<PledgeAcknowledged>(run, 1));
        var inbox = await Eventually(host, db => db.Set<InboxState>().SingleAsync(i => i.MessageId == messageId), i => i.ReceiveCount == 2);
        Assert.Equal(2, inbox.ReceiveCount);
        Assert.NotNull(inbox.Consumed);
        Assert.NotNull(inbox.Delivered);
        Assert.Equal(1, (await host.QueryAsync(db => db.Acknowledgements.SingleAsync(a => a.PledgeId == pledgeId))).Times);
        Assert.Single(_received.Of<PledgeAcknowledged>(run));
        Assert.Equal(0, await host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.InboxMessageId == messageId)));
    }

    [Fact]
    public async Task A_consume_that_publishes_is_finished_in_its_transaction_and_the_relay_delivers_what_it_published()
    {
        var run = _received.NewRun();
        var pledgeId = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        await using (var withoutRelay = await OutboxHost.StartAsync(database.ConnectionString, "consume-then-relay", _received, o =>
                     {
                         o.Recorder = false;
                         o.Acknowledger = true;
                         o.Relay = false;
                     }))
        {
            await withoutRelay.Services.GetRequiredService<IBus>().Publish(new PledgeRecorded(run, pledgeId, 0), ctx => ctx.MessageId = messageId);

            // No relay runs, and yet the consume is finished: consumed and delivered in one commit, nothing sent from inside it.
            var inbox = await Eventually(withoutRelay, db => db.Set<InboxState>().SingleOrDefaultAsync(i => i.MessageId == messageId), i => i?.Delivered is not null);
            Assert.NotNull(inbox?.Consumed);
            Assert.NotNull(inbox?.Delivered);
            Assert.Equal(1, (await withoutRelay.QueryAsync(db => db.Acknowledgements.SingleAsync(a => a.PledgeId == pledgeId))).Times);

            // What it published waits in the bus outbox, as a unit of work of its own.
            var stored = await withoutRelay.QueryAsync(db => db.Set<OutboxMessage>()
                .Where(m => m.MessageType.Contains(nameof(PledgeAcknowledged)) && m.Body.Contains(pledgeId.ToString())).ToListAsync());
            var waiting = Assert.Single(stored);
            Assert.NotNull(waiting.OutboxId);
            Assert.Null(waiting.InboxMessageId);
            Assert.Empty(_received.Of<PledgeAcknowledged>(run));
        }

        // A relay, here another process's, sends it. (Started on a flow without the first bus's log context, which MassTransit
        // keeps in an AsyncLocal that outlives that bus.)
        await using var withRelay = await Task.Run(() =>
        {
            LogContext.Current = null;
            return OutboxHost.StartAsync(database.ConnectionString, "consume-then-relay", _received, o =>
            {
                o.Recorder = false;
                o.Acknowledger = true;
            });
        });
        Assert.Single(await _received.WaitFor<PledgeAcknowledged>(run, 1));
    }

    [Fact]
    public async Task With_only_the_inbox_on_the_endpoints_what_a_consumer_publishes_is_delivered()
    {
        var run = _received.NewRun();
        var pledgeId = Guid.NewGuid();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "inbox-only", _received, o =>
        {
            o.Recorder = false;
            o.Acknowledger = true;
            o.BusOutbox = false;
        });

        await host.Services.GetRequiredService<IBus>().Publish(new PledgeRecorded(run, pledgeId, 0));

        // Stored with the consume, sent by the relay: no bus outbox is needed for it.
        Assert.Single(await _received.WaitFor<PledgeAcknowledged>(run, 1));
        Assert.Equal(0, await Eventually(host, db => db.Set<OutboxMessage>().CountAsync(m => m.Body.Contains(pledgeId.ToString())), n => n == 0));
    }

    [Fact]
    public async Task Cleanup_removes_delivered_inbox_rows_older_than_the_window_and_nothing_else()
    {
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "cleanup", _received, o =>
        {
            o.Recorder = false;
            o.Relay = false;
        });
        var now = DateTime.UtcNow;
        var consumer = Guid.NewGuid();
        InboxState Row(DateTime? delivered) => new()
        {
            MessageId = Guid.NewGuid(), ConsumerId = consumer, Received = now.AddHours(-2), ReceiveCount = 1,
            Consumed = delivered, Delivered = delivered,
        };
        var old = Row(now.AddMinutes(-45));
        var recent = Row(now.AddMinutes(-5));
        var undelivered = Row(null);
        await host.QueryAsync(async db =>
        {
            db.AddRange(old, recent, undelivered);
            return await db.SaveChangesAsync();
        });

        var removed = await host.Services.GetRequiredService<InboxCleanupService<PledgeDbContext>>().RemoveExpiredAsync();

        var left = await host.QueryAsync(db => db.Set<InboxState>().Where(i => i.ConsumerId == consumer).Select(i => i.MessageId).ToListAsync());
        Assert.True(removed >= 1);
        Assert.DoesNotContain(old.MessageId, left);
        Assert.Contains(recent.MessageId, left);
        Assert.Contains(undelivered.MessageId, left);
    }

    static async Task<T> Eventually<T>(OutboxHost host, Func<PledgeDbContext, Task<T>> query, Func<T, bool> done)
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
