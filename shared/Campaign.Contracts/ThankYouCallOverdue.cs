namespace Campaign.Contracts;

/// <summary>
/// Nobody made a secured donor's thank-you call before its deadline (VolunteerCoordinator's
/// <c>ThankYouCalls:CallDeadline</c>, 3 days by default): the donor is to be thanked in writing instead. Published once per
/// donor by VolunteerCoordinator.
/// </summary>
public sealed record ThankYouCallOverdue(
    Guid DonorId,
    string DonorName,
    DateTimeOffset Deadline,
    DateTimeOffset OccurredAt);
