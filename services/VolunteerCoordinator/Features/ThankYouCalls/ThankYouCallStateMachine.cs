using Campaign.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace VolunteerCoordinator.Features.ThankYouCalls;

/// <summary>
/// Every secured donor is thanked by a call or, when nobody makes it before the deadline, in writing: DonorSecured opens
/// the saga and schedules the deadline, ThankYouCallCompleted closes it, and a deadline that arrives first publishes
/// ThankYouCallOverdue (Communications then writes to the donor). The deadline waits in the outbox (no broker plugin) and
/// is cancelled with the completed call; the state, the inbox row and the messages commit together, so each donor gets
/// one outcome across restarts and broker outages.
/// </summary>
public sealed partial class ThankYouCallStateMachine : MassTransitStateMachine<ThankYouCallState>
{
    public ThankYouCallStateMachine(IOptions<ThankYouCallOptions> options, TimeProvider clock, ILogger<ThankYouCallStateMachine> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var deadline = options.Value.CallDeadline;

        InstanceState(x => x.CurrentState);
        Event(() => DonorSecured, e => e.CorrelateById(m => m.Message.DonorId));
        Event(() => CallCompleted, e => e.CorrelateById(m => m.Message.DonorId));
        Schedule(() => CallDeadline, x => x.DeadlineTokenId, s =>
        {
            s.Delay = deadline;
            s.Received = r => r.CorrelateById(m => m.Message.DonorId);
        });

        Initially(
            // A DonorSecured without a donor is refused (it ends in the error queue), not made a saga of donor 0000...
            When(DonorSecured, context => context.Message.DonorId == Guid.Empty)
                .Then(_ => throw new InvalidOperationException("DonorSecured without a DonorId cannot open a thank-you saga.")),
            When(DonorSecured, context => context.Message.DonorId != Guid.Empty)
                .Then(context =>
                {
                    var now = clock.GetUtcNow();
                    context.Saga.DonorName = Consumers.DonorSecuredConsumer.DonorName(context.Message.Name);
                    context.Saga.OpenedAt = now;
                    context.Saga.Deadline = now + deadline;
                })
                .Schedule(CallDeadline, context => new ThankYouCallDeadline(context.Saga.CorrelationId))
                .TransitionTo(AwaitingCall),
            // The call was completed before the saga heard of the donor (events may overtake each other): nothing to wait for.
            When(CallCompleted)
                .Then(context => Close(context.Saga, clock))
                .TransitionTo(Called));

        During(AwaitingCall,
            Ignore(DonorSecured),
            When(CallCompleted)
                .Unschedule(CallDeadline)
                .Then(context => Close(context.Saga, clock))
                .TransitionTo(Called),
            When(CallDeadline.Received)
                .Then(context => context.Saga.ClosedAt = clock.GetUtcNow())
                .Publish(context => new ThankYouCallOverdue(context.Saga.CorrelationId, context.Saga.DonorName,
                    context.Saga.Deadline ?? context.Saga.ClosedAt!.Value, context.Saga.ClosedAt!.Value))
                .Then(context =>
                {
                    Close(context.Saga, clock);
                    LogOverdue(logger, context.Saga.CorrelationId);
                })
                .TransitionTo(Overdue));

        // The saga is over: a repeated event, a late completion or a stale deadline changes nothing.
        During(Called, Overdue, Ignore(DonorSecured), Ignore(CallCompleted), Ignore(CallDeadline.Received));
    }

    /// <summary>The saga's outcome is settled: the donor's name is no longer needed here.</summary>
    static void Close(ThankYouCallState saga, TimeProvider clock)
    {
        saga.ClosedAt ??= clock.GetUtcNow();
        saga.DonorName = "";
        saga.DeadlineTokenId = null;
    }

    [LoggerMessage(LogLevel.Information, "Nobody made the thank-you call of donor {DonorId} before its deadline: ThankYouCallOverdue published.")]
    static partial void LogOverdue(ILogger logger, Guid donorId);

    public State AwaitingCall { get; private set; } = null!;
    public State Called { get; private set; } = null!;
    public State Overdue { get; private set; } = null!;

    public Event<DonorSecured> DonorSecured { get; private set; } = null!;
    public Event<ThankYouCallCompleted> CallCompleted { get; private set; } = null!;
    public Schedule<ThankYouCallState, ThankYouCallDeadline> CallDeadline { get; private set; } = null!;
}
