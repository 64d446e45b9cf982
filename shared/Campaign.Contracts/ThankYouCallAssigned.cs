namespace Campaign.Contracts;

/// <summary>
/// A volunteer has been given the call that thanks a newly secured donor.
/// Published by VolunteerCoordinator in the same transaction that assigns the call.
/// </summary>
public sealed record ThankYouCallAssigned(
    Guid CallId,
    Guid DonorId,
    Guid VolunteerId,
    DateTimeOffset OccurredAt);
