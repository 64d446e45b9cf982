using MassTransit;
using MassTransit.Context;
using MassTransit.Scheduling;

namespace Campaign.Outbox.Scheduling;

/// <summary>
/// MassTransit's scheduling calls (<c>ScheduleSend</c>, <c>SchedulePublish</c>, a state machine's <c>Schedule</c>) inside a
/// consumer or saga behind the inbox: the message is sent with a delay, which the outbox stores as its due time
/// (<c>EnqueueTime</c>) and the relay honours; no delayed-exchange plugin and no Quartz. Cancelling (<c>Unschedule</c>,
/// <c>CancelScheduledSend</c>) deletes the waiting message in the consume's own transaction.
/// </summary>
sealed class OutboxScheduleMessageProvider(ConsumeContext context) : IScheduleMessageProvider
{
    readonly DelayedScheduleMessageProvider _delayed = new(context);

    public Task<ScheduledMessage<T>> ScheduleSend<T>(Uri destinationAddress, DateTime scheduledTime, T message, IPipe<SendContext<T>> pipe,
        CancellationToken cancellationToken)
        where T : class =>
        _delayed.ScheduleSend(destinationAddress, scheduledTime, message, pipe, cancellationToken);

    public Task CancelScheduledSend(Guid tokenId, CancellationToken cancellationToken) => Cancel(tokenId, cancellationToken);

    public Task CancelScheduledSend(Uri destinationAddress, Guid tokenId, CancellationToken cancellationToken) =>
        Cancel(tokenId, cancellationToken);

    // Outside the inbox there is no transaction to cancel in: like MassTransit's delayed scheduler, nothing happens, and a
    // state machine ignores the stale message by its token when it arrives.
    Task Cancel(Guid tokenId, CancellationToken cancellationToken) =>
        context is IScheduledMessageCanceller canceller ? canceller.CancelScheduledAsync(tokenId, cancellationToken) : Task.CompletedTask;
}

/// <summary>A consume context whose scheduled messages wait in an outbox it can delete them from.</summary>
interface IScheduledMessageCanceller
{
    Task CancelScheduledAsync(Guid tokenId, CancellationToken cancellationToken);
}

/// <summary>
/// Gives consumers and sagas of the endpoint <see cref="OutboxScheduleMessageProvider"/> as their scheduler, unless the bus
/// already has one (<c>UseMessageScheduler</c>, <c>UseDelayedMessageScheduler</c>): a scheduler chosen there is kept.
/// </summary>
sealed class OutboxMessageSchedulerFilter : IFilter<ConsumeContext>
{
    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        context.GetOrAddPayload<MessageSchedulerContext>(() => new ConsumeMessageSchedulerContext(context,
            static consume => new MessageScheduler(new OutboxScheduleMessageProvider(consume), consume.GetPayload<IBusTopology>())));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("outboxMessageScheduler");
}
