using System.Collections.Concurrent;
using Campaign.Outbox.Relay;
using Campaign.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>
/// Delayed and scheduled messages wait in the outbox until due, by the host's <see cref="TimeProvider"/> (stepped here), with
/// no broker plugin; they survive restarts, and a consume can cancel them.
/// </summary>
public sealed class SchedulingTests
{
    static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2); // long enough for several relay passes to have run

    [Fact]
    public async Task A_delayed_publish_is_delivered_when_the_clock_reaches_its_due_time_and_not_before()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_schedule");
        var received = new Received();
        var run = received.NewRun();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "schedule", received, o => o.Clock = clock);

        await host.WriteAsync(async (db, publish) =>
        {
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 10m });
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 1), ctx => ctx.Delay = TimeSpan.FromHours(1));
            await publish.Publish(new PledgeRecorded(run, Guid.Empty, 0));
            await db.SaveChangesAsync();
        });

        // The undelayed one leaves at once; the delayed one is a unit of its own, due in an hour of this host's clock.
        var first = await received.WaitFor<PledgeRecorded>(run, 1);
        Assert.Equal(0, Assert.Single(first).Message.Sequence);
        var stored = await host.QueryAsync(db => db.Set<OutboxMessage>().AsNoTracking().SingleAsync(m => m.EnqueueTime != null));
        Assert.Equal(clock.GetUtcNow().UtcDateTime.AddHours(1), stored.EnqueueTime!.Value, TimeSpan.FromSeconds(1));

        // Operators see it as scheduled, not as a pending message the relay is late with (once the relay has recorded the
        // delivery of the other one, which may ride with its next claim).
        var reader = host.Services.GetRequiredService<OutboxBacklogReader<PledgeDbContext>>();
        await Eventually.Until(() => reader.ReadAsync(), b => (b.Pending, b.Scheduled) == (0, 1), "the backlog shows 0 pending and 1 scheduled");

        clock.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(Quiet);
        Assert.Single(received.Of<PledgeRecorded>(run));

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var both = await received.WaitFor<PledgeRecorded>(run, 2, TimeSpan.FromSeconds(60));
        Assert.Equal([0, 1], both.Select(m => m.Message.Sequence));
        // The relay records a delivery with its next claim or on its own right after: then the outbox is empty.
        await Eventually.Until(async () => await host.QueryAsync(db => db.Set<OutboxState>().CountAsync()) == 0, "the outbox is empty");
    }

    [Fact]
    public async Task A_scheduled_message_survives_a_restart_and_is_delivered_once_by_the_next_process()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_schedule_restart");
        var received = new Received();
        var run = received.NewRun();
        var start = DateTimeOffset.UtcNow;

        // A process that stores the scheduled message and stops before it is due.
        await using (var first = await OutboxHost.StartAsync(database.ConnectionString, "schedule-restart", received,
                         o => o.Clock = new FakeTimeProvider(start)))
        {
            await first.WriteAsync(async (db, publish) =>
            {
                await publish.Publish(new PledgeRecorded(run, Guid.Empty, 7), ctx => ctx.Delay = TimeSpan.FromDays(3));
                await db.SaveChangesAsync();
            });
            await Task.Delay(Quiet);
        }
        Assert.Empty(received.Of<PledgeRecorded>(run));

        // The next process starts three days and a minute later: its relay finds the message due.
        await using var second = await OutboxHost.StartAsync(database.ConnectionString, "schedule-restart", received,
            o => o.Clock = new FakeTimeProvider(start + TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1)));
        Assert.Single(await received.WaitFor<PledgeRecorded>(run, 1, TimeSpan.FromSeconds(60)));
        await Task.Delay(Quiet);
        Assert.Single(received.Of<PledgeRecorded>(run));
    }

    [Fact]
    public async Task A_consumer_cancels_what_it_scheduled_and_only_the_cancelled_message_stays_away()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_schedule_cancel");
        var received = new Received();
        var run = received.NewRun();
        var tokens = new ReminderTokens();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "schedule-cancel", received, o =>
        {
            o.Clock = clock;
            o.Recorder = false;
            o.Services = services => services.AddSingleton(tokens);
            o.Bus = bus =>
            {
                bus.AddConsumer<ReminderScheduler>();
                bus.AddConsumer<PledgeAcknowledgedRecorder>();
            };
        });
        var (kept, cancelled) = (Guid.NewGuid(), Guid.NewGuid());

        // Sequence 0 schedules a reminder (an acknowledgement) for the pledge in a day; sequence 1 cancels it.
        await host.RecordPledgeAsync(run, pledgeId: kept);
        await host.RecordPledgeAsync(run, pledgeId: cancelled);
        await Eventually.Until(() => Task.FromResult(tokens.Scheduled.Count == 2), "both reminders were scheduled");
        await host.WriteAsync(async (db, publish) =>
        {
            await publish.Publish(new PledgeRecorded(run, cancelled, 1));
            await db.SaveChangesAsync();
        });
        await Eventually.Until(async () => await host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.EnqueueTime != null)) == 1,
            "the cancelled reminder's row was deleted");

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var acknowledged = await received.WaitFor<PledgeAcknowledged>(run, 1, TimeSpan.FromSeconds(60));
        Assert.Equal(kept, Assert.Single(acknowledged).Message.PledgeId);
        await Task.Delay(Quiet);
        Assert.Single(received.Of<PledgeAcknowledged>(run));
    }
}

public sealed class ReminderTokens
{
    public ConcurrentDictionary<Guid, Guid> Scheduled { get; } = new();
}

/// <summary>Behind the inbox: schedules a reminder for a pledge (sequence 0) or cancels it (sequence 1), MassTransit's way.</summary>
public sealed class ReminderScheduler(Received received, ReminderTokens tokens) : IConsumer<PledgeRecorded>
{
    public async Task Consume(ConsumeContext<PledgeRecorded> context)
    {
        var (run, pledgeId, sequence) = context.Message;
        if (!received.Owns(run))
            return;
        if (sequence == 0)
        {
            var reminder = await context.SchedulePublish(DateTime.UtcNow.AddDays(1), new PledgeAcknowledged(run, pledgeId));
            tokens.Scheduled[pledgeId] = reminder.TokenId;
        }
        else
            await context.GetPayload<MessageSchedulerContext>().CancelScheduledPublish<PledgeAcknowledged>(tokens.Scheduled[pledgeId]);
    }
}
