using MassTransit;

namespace Campaign.Outbox.Tests;

/// <summary>A saga instance per pledge, stored by the outbox's EF Core saga repository.</summary>
public sealed class PledgeState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;

    /// <summary>PledgeRecorded events the instance has counted: a lost update shows as fewer than were sent.</summary>
    public int Times { get; set; }

    public uint Version { get; set; }
}

/// <summary>
/// Counts each PledgeRecorded for its pledge and acknowledges it with a publish. Sequence -1 fails the event after both
/// (the state change and the publish must roll back with it).
/// </summary>
public sealed class PledgeStateMachine : MassTransitStateMachine<PledgeState>
{
    public const int Failing = -1;

    public PledgeStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Recorded, e => e.CorrelateById(m => m.Message.PledgeId));

        Initially(When(Recorded).Then(Count).Publish(Acknowledgement).Then(FailWhenAsked).TransitionTo(Counting));
        During(Counting, When(Recorded).Then(Count).Publish(Acknowledgement).Then(FailWhenAsked));
    }

    public State Counting { get; private set; } = null!;
    public Event<PledgeRecorded> Recorded { get; private set; } = null!;

    static void Count(BehaviorContext<PledgeState, PledgeRecorded> context) => context.Saga.Times++;

    static PledgeAcknowledged Acknowledgement(BehaviorContext<PledgeState, PledgeRecorded> context) =>
        new(context.Message.Run, context.Message.PledgeId);

    static void FailWhenAsked(BehaviorContext<PledgeState, PledgeRecorded> context)
    {
        if (context.Message.Sequence == Failing)
            throw new InvalidOperationException("This pledge event fails after changing the state and publishing.");
    }
}

/// <summary>Records the faults of PledgeRecorded events (after their retries), for the tests that expect one.</summary>
public sealed class PledgeFaultRecorder(Received received) : IConsumer<Fault<PledgeRecorded>>
{
    public Task Consume(ConsumeContext<Fault<PledgeRecorded>> context)
    {
        if (received.Owns(context.Message.Message.Run))
            received.Add(context.Message.Message.Run, context.MessageId!.Value, context.Message, context.Headers);
        return Task.CompletedTask;
    }
}
