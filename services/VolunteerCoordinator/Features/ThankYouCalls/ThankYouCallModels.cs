using System.ComponentModel.DataAnnotations;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Features.ThankYouCalls;

/// <summary>
/// A thank-you call to a donor. Its status is open (no volunteer yet), assigned, or completed. <c>Deadline</c> is when the
/// donor is thanked in writing instead if nobody has made the call (<c>ThankYouCalls:CallDeadline</c> after the donor was
/// secured); <c>Overdue</c> says that happened. A call can still be made after it.
/// </summary>
public sealed record ThankYouCallResponse(
    Guid Id,
    Guid DonorId,
    string DonorName,
    string Status,
    Guid? VolunteerId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AssignedAt,
    DateTimeOffset? CompletedAt,
    string? Notes,
    DateTimeOffset? Deadline,
    bool Overdue)
{
    public static ThankYouCallResponse From(ThankYouCall call, ThankYouCallState? saga)
    {
        ArgumentNullException.ThrowIfNull(call);
        return new(call.Id, call.DonorId, call.DonorName, call.Status, call.VolunteerId, call.CreatedAt, call.AssignedAt,
            call.CompletedAt, call.Notes, saga?.Deadline, saga?.CurrentState == nameof(ThankYouCallStateMachine.Overdue));
    }
}

public sealed record ThankYouCallPage(IReadOnlyList<ThankYouCallResponse> Items, int Page, int PageSize, int TotalCount);

/// <param name="VolunteerId">A volunteer with the phone-banking skill.</param>
public sealed record AssignCallRequest([Required] Guid? VolunteerId);

/// <param name="Notes">Optional: what came of the call (at most 1000 characters).</param>
public sealed record CompleteCallRequest([StringLength(ThankYouCallLimits.NotesLength)] string? Notes = null);
