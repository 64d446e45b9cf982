using Campaign.Outbox.Scheduling;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Inbox;

/// <summary>
/// The consume context a consumer sees behind the inbox: what it publishes or sends is stored in the same DbContext (and
/// transaction) as its own writes, as one unit of work of the bus outbox, which the relay delivers after commit.
/// </summary>
/// <remarks>
/// MassTransit's consumer outbox delivers those messages inside the consume, on the receive endpoint's connection. When
/// the broker went down during such a delivery, MassTransit 8.5 left the receive endpoint without its consumer for good
/// (the soak, docs/reliability.md). Handed to the relay, a consume never waits on a publish, and it takes one transaction.
/// Rows stored by the older inline delivery (keyed by the inbox row) are still delivered inline when their message comes
/// back.
/// </remarks>
sealed class InboxConsumeContext<TDbContext, TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions options,
    IServiceProvider provider,
    TDbContext dbContext,
    InboxState inbox,
    TimeProvider clock,
    bool messagesRemoved)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider), IScheduledMessageCanceller
    where TDbContext : DbContext
    where TMessage : class
{
    readonly Dictionary<string, OutboxState> _units = new(StringComparer.Ordinal);
    bool _messagesRemoved = messagesRemoved;

    public override Guid? MessageId => inbox.MessageId;
    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => inbox.Consumed.HasValue;
    public override bool IsOutboxDelivered => inbox.Delivered.HasValue;
    public override int ReceiveCount => inbox.ReceiveCount;
    public override long? LastSequenceNumber => inbox.LastSequenceNumber;

    /// <summary>
    /// The consumer published or sent something the relays should look at now: woken after the commit. A message scheduled
    /// further ahead than <paramref name="wakeWithin"/> (the relays' poll) wakes nobody: a poll sees it in time, and a saga's
    /// three-day deadline does not cost every consume an empty claim.
    /// </summary>
    public bool StoredMessages(TimeSpan wakeWithin)
    {
        var soon = clock.GetUtcNow().UtcDateTime + wakeWithin;
        return _units.Values.Any(u => u.Created == default || u.Created <= soon);
    }

    public override async Task SetConsumed()
    {
        // What the consumer published waits for the relay (AddSend): nothing to deliver here, so the message is finished
        // in this one transaction.
        var now = clock.GetUtcNow().UtcDateTime;
        inbox.Consumed = now;
        inbox.Delivered = now;
        _messagesRemoved = true;
        await dbContext.SaveChangesAsync(CancellationToken);
    }

    public override async Task SetDelivered()
    {
        inbox.Delivered = clock.GetUtcNow().UtcDateTime;
        await RemoveOutboxMessages();
        await dbContext.SaveChangesAsync(CancellationToken);
    }

    public override async Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        var after = inbox.LastSequenceNumber ?? 0;
        var messages = await dbContext.Set<OutboxMessage>()
            .Where(x => x.InboxMessageId == inbox.MessageId && x.InboxConsumerId == ConsumerId && x.SequenceNumber > after)
            .OrderBy(x => x.SequenceNumber)
            .Take(Options.MessageDeliveryLimit + 1)
            .AsNoTracking()
            .ToListAsync(CancellationToken);

        foreach (var message in messages)
            message.Deserialize(SerializerContext);
        return [.. messages];
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        ArgumentNullException.ThrowIfNull(message);
        inbox.LastSequenceNumber = message.SequenceNumber;
        return Task.CompletedTask;
    }

    public override async Task RemoveOutboxMessages()
    {
        if (_messagesRemoved)
            return;
        await dbContext.Set<OutboxMessage>()
            .Where(x => x.InboxMessageId == inbox.MessageId && x.InboxConsumerId == ConsumerId)
            .ExecuteDeleteAsync(CancellationToken);
        _messagesRemoved = true;
    }

    /// <summary>
    /// Deletes the scheduled message with this token, in the consume's transaction (a rolled-back consume cancels nothing).
    /// One that is being sent at this moment still arrives: a state machine ignores it, its token no longer being current.
    /// </summary>
    public async Task CancelScheduledAsync(Guid tokenId, CancellationToken cancellationToken)
    {
        var tables = OutboxTables.For(dbContext);
        var (s, m) = (tables.OutboxState, tables.OutboxMessage);
        // Names from the model, values as parameters.
        var cancel = $$"""
            WITH doomed AS (
                SELECT x.{{m["OutboxId"]}} AS id FROM {{m}} x
                WHERE x.{{m["EnqueueTime"]}} IS NOT NULL AND x.{{m["OutboxId"]}} IS NOT NULL
                  AND x.{{m["Headers"]}}::jsonb ->> {1} = {0}),
            messages AS (
                DELETE FROM {{m}} x WHERE x.{{m["OutboxId"]}} IN (SELECT id FROM doomed))
            DELETE FROM {{s}} WHERE {{s["OutboxId"]}} IN (SELECT id FROM doomed)
            """;
        await dbContext.Database.ExecuteSqlRawAsync(cancel, [tokenId.ToString("D"), MessageHeaders.SchedulingTokenId], cancellationToken);
    }

    public override Task AddSend<T>(SendContext<T> context)
    {
        var message = OutboxMessageFactory.Create(context, clock.GetUtcNow().UtcDateTime);
        var key = OrderingKeyExtensions.OrderingKey(context);

        // A consumer may publish from several tasks at once; the DbContext is not thread-safe.
        lock (dbContext)
        {
            // One unit of work per consume attempt (and ordering key): its messages are delivered in the order they were published.
            // A scheduled message is a unit of its own, due at its time.
            if (message.EnqueueTime is { } due)
            {
                var scheduled = dbContext.Add(OutboxState.Scheduled(due)).Entity;
                _units[$"\0{scheduled.OutboxId}"] = scheduled; // not an ordering key: keys hold no NUL
                message.OutboxId = scheduled.OutboxId;
                dbContext.Add(message);
                return Task.CompletedTask;
            }
            if (!_units.TryGetValue(key ?? "", out var unit))
                _units[key ?? ""] = unit = dbContext.Add(new OutboxState { OutboxId = NewId.NextGuid(), OrderingKey = key }).Entity;
            message.OutboxId = unit.OutboxId;
            dbContext.Add(message);
        }
        return Task.CompletedTask;
    }
}
