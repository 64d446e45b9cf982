using System.Diagnostics;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Campaign.Outbox.Tests;

public sealed class BusOutboxTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    readonly Received _received = new();

    [Fact]
    public async Task Committed_messages_arrive_with_their_message_id_headers_and_order()
    {
        var run = _received.NewRun();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "commit", _received);
        var messageIds = new List<Guid>();

        await host.WriteAsync(async (db, publish) =>
        {
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 10m });
            for (var i = 0; i < 5; i++)
            {
                var id = NewId.NextGuid();
                messageIds.Add(id);
                await publish.Publish(new PledgeRecorded(run, Guid.Empty, i), ctx =>
                {
                    ctx.MessageId = id;
                    ctx.Headers.Set("Campaign-Source", "pledge-desk");
                });
            }
            await db.SaveChangesAsync();
        });

        var arrived = await _received.WaitFor<PledgeRecorded>(run, 5);
        Assert.Equal(messageIds, arrived.Select(a => a.MessageId));
        Assert.Equal([0, 1, 2, 3, 4], arrived.Select(a => a.Message.Sequence));
        Assert.All(arrived, a => Assert.Equal("pledge-desk", a.Headers.Get<string>("Campaign-Source")));
    }

    [Fact]
    public async Task A_rolled_back_transaction_never_reaches_the_broker()
    {
        var rolledBack = _received.NewRun();
        var committed = _received.NewRun();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "rollback", _received);

        await host.WriteAsync(async (db, publish) =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 10m });
            await publish.Publish(new PledgeRecorded(rolledBack, Guid.Empty, 0));
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        });

        // A later commit proves the relay ran after the rollback: once it arrived, the rolled-back one would have too.
        await host.RecordPledgeAsync(committed);
        Assert.Single(await _received.WaitFor<PledgeRecorded>(committed, 1));
        Assert.Empty(_received.Of<PledgeRecorded>(rolledBack));
        Assert.Equal(0, await host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Body.Contains(rolledBack.ToString()))));
    }

    [Fact]
    public async Task Messages_published_after_the_last_save_are_reported_not_silently_dropped()
    {
        var logs = new CapturedLogs();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "unsaved", _received, o => o.Logs = logs);

        await host.WriteAsync(async (db, publish) =>
        {
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 10m });
            await db.SaveChangesAsync();
            await publish.Publish(new PledgeRecorded(Guid.NewGuid(), Guid.Empty, 0));
            await publish.Publish(new PledgeRecorded(Guid.NewGuid(), Guid.Empty, 1));
        });

        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Category.StartsWith("Campaign.Outbox", StringComparison.Ordinal));
        Assert.Contains("2 message(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_save_drops_its_messages_with_the_rows_and_is_not_reported_as_a_lost_publish()
    {
        var run = _received.NewRun();
        var logs = new CapturedLogs();
        var pledgeId = Guid.NewGuid();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "failed-save", _received, o => o.Logs = logs);
        await host.RecordPledgeAsync(run, pledgeId: pledgeId);

        // The same pledge id again: the insert violates the primary key, so the unit of work fails as a whole.
        await Assert.ThrowsAsync<DbUpdateException>(() => host.RecordPledgeAsync(run, pledgeId: pledgeId));

        var later = _received.NewRun();
        await host.RecordPledgeAsync(later);
        Assert.Single(await _received.WaitFor<PledgeRecorded>(later, 1));
        Assert.Single(_received.Of<PledgeRecorded>(run));
        Assert.DoesNotContain(logs.Entries, e => e.Level == LogLevel.Error && e.Category.StartsWith("Campaign.Outbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publishing_again_after_the_caller_discarded_a_failed_unit_of_work_is_delivered()
    {
        var run = _received.NewRun();
        var pledgeId = Guid.NewGuid();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "retry-after-clear", _received);
        await host.RecordPledgeAsync(run, pledgeId: pledgeId);

        await host.WriteAsync(async (db, publish) =>
        {
            db.Pledges.Add(new Pledge { Id = pledgeId, Amount = 1m }); // duplicate key: this save fails
            await publish.Publish(new PledgeRecorded(run, pledgeId, 1));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

            db.ChangeTracker.Clear(); // the handler gives up on that attempt and records something else
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 2m });
            await publish.Publish(new PledgeRecorded(run, pledgeId, 2));
            await db.SaveChangesAsync();
        });

        var arrived = await _received.WaitFor<PledgeRecorded>(run, 2);
        Assert.Equal([0, 2], arrived.Select(a => a.Message.Sequence).Order());
    }

    [Fact]
    public async Task A_commit_in_another_process_wakes_the_relay_without_waiting_for_the_poll()
    {
        var run = _received.NewRun();

        // The relay polls only every five minutes (OutboxHost's setting): only LISTEN/NOTIFY can deliver in time.
        await using var relay = await OutboxHost.StartAsync(database.ConnectionString, "wake", _received);
        await using var writer = await OutboxHost.StartAsync(database.ConnectionString, "wake", new Received(), o =>
        {
            o.Relay = false;
            o.Recorder = false;
        });

        var stopwatch = Stopwatch.StartNew();
        await writer.RecordPledgeAsync(run);
        var arrived = await _received.WaitFor<PledgeRecorded>(run, 1, TimeSpan.FromSeconds(60));

        Assert.Single(arrived);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(1), "delivered by the wake-up, long before the five-minute poll");
    }

    [Fact]
    public async Task The_schema_matches_masstransit_table_and_column_names()
    {
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "schema", _received, o => o.Relay = false);
        var columns = await host.QueryAsync(db => db.Database.SqlQueryRaw<string>("""
            SELECT table_name || '.' || column_name || ':' || data_type AS "Value" FROM information_schema.columns
            WHERE table_name IN ('InboxState', 'OutboxState', 'OutboxMessage')
            """).ToListAsync());

        string[] expected =
        [
            "InboxState.Id:bigint", "InboxState.MessageId:uuid", "InboxState.ConsumerId:uuid", "InboxState.LockId:uuid",
            "InboxState.RowVersion:bytea", "InboxState.Received:timestamp with time zone", "InboxState.ReceiveCount:integer",
            "InboxState.ExpirationTime:timestamp with time zone", "InboxState.Consumed:timestamp with time zone",
            "InboxState.Delivered:timestamp with time zone", "InboxState.LastSequenceNumber:bigint",
            "OutboxState.OutboxId:uuid", "OutboxState.LockId:uuid", "OutboxState.RowVersion:bytea",
            "OutboxState.Created:timestamp with time zone", "OutboxState.Delivered:timestamp with time zone", "OutboxState.LastSequenceNumber:bigint",
            "OutboxMessage.SequenceNumber:bigint", "OutboxMessage.MessageId:uuid", "OutboxMessage.ConversationId:uuid",
            "OutboxMessage.CorrelationId:uuid", "OutboxMessage.InitiatorId:uuid", "OutboxMessage.RequestId:uuid",
            "OutboxMessage.SourceAddress:character varying", "OutboxMessage.DestinationAddress:character varying",
            "OutboxMessage.ResponseAddress:character varying", "OutboxMessage.FaultAddress:character varying",
            "OutboxMessage.ExpirationTime:timestamp with time zone", "OutboxMessage.EnqueueTime:timestamp with time zone",
            "OutboxMessage.SentTime:timestamp with time zone", "OutboxMessage.InboxMessageId:uuid", "OutboxMessage.InboxConsumerId:uuid",
            "OutboxMessage.OutboxId:uuid", "OutboxMessage.Headers:text", "OutboxMessage.Properties:text",
            "OutboxMessage.ContentType:character varying", "OutboxMessage.MessageType:text", "OutboxMessage.Body:text",
        ];
        Assert.All(expected, column => Assert.Contains(column, columns));

        // Our extra columns must not stop MassTransit's package from inserting rows that lack them.
        var inserted = await host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
            """INSERT INTO "OutboxState" ("OutboxId", "LockId", "Created") VALUES (gen_random_uuid(), gen_random_uuid(), now())"""));
        Assert.Equal(1, inserted);
        await host.QueryAsync(db => db.Database.ExecuteSqlRawAsync("""DELETE FROM "OutboxState" """));
    }
}
