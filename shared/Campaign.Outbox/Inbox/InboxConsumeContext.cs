using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Inbox;

/// <summary>
/// The consume context a consumer sees behind the inbox: what it publishes or sends is stored in the same
/// DbContext (and transaction) as its own writes, and delivered after commit.
/// </summary>
sealed class InboxConsumeContext<TDbContext, TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions options,
    IServiceProvider provider,
    TDbContext dbContext,
    InboxState inbox,
    TimeProvider clock,
    bool messagesRemoved)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider)
    where TDbContext : DbContext
    where TMessage : class
{
    int _stored;
    bool _messagesRemoved = messagesRemoved;

    public override Guid? MessageId => inbox.MessageId;
    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => inbox.Consumed.HasValue;
    public override bool IsOutboxDelivered => inbox.Delivered.HasValue;
    public override int ReceiveCount => inbox.ReceiveCount;
    public override long? LastSequenceNumber => inbox.LastSequenceNumber;

    public override async Task SetConsumed()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        inbox.Consumed = now;

        // Nothing published: nothing to deliver, so the message is finished in this one transaction.
        if (_stored == 0)
        {
            inbox.Delivered = now;
            _messagesRemoved = true;
        }

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

    public override Task AddSend<T>(SendContext<T> context)
    {
        var message = OutboxMessageFactory.Create(context, clock.GetUtcNow().UtcDateTime);
        message.InboxMessageId = inbox.MessageId;
        message.InboxConsumerId = ConsumerId;

        // A consumer may publish from several tasks at once; the DbContext is not thread-safe.
        lock (dbContext)
        {
            dbContext.Add(message);
            _stored++;
        }
        return Task.CompletedTask;
    }
}
