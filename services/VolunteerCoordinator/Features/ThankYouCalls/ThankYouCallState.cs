namespace VolunteerCoordinator.Features.ThankYouCalls;

/// <summary>
/// The thank-you saga of one secured donor (its CorrelationId is the DonorId): waiting for the call, called, or overdue.
/// Kept after it ends, so a repeated DonorSecured cannot open it again.
/// </summary>
public sealed class ThankYouCallState : MassTransit.SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = null!;

    /// <summary>Whom the written thank-you addresses if the call is overdue.</summary>
    public string DonorName { get; set; } = "";

    public DateTimeOffset? OpenedAt { get; set; }

    public DateTimeOffset? Deadline { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>The scheduled deadline message: cancelled when the call is made, ignored if it arrives anyway.</summary>
    public Guid? DeadlineTokenId { get; set; }

    /// <summary>PostgreSQL's xmin: two events for one donor cannot both win (the repository is optimistic).</summary>
    public uint Version { get; set; }
}

/// <summary>Sent by the saga to itself, through the outbox, due at the call's deadline.</summary>
public sealed record ThankYouCallDeadline(Guid DonorId);
