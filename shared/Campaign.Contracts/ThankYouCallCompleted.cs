namespace Campaign.Contracts;

/// <summary>
/// A volunteer made the thank-you call of a donor. Published by VolunteerCoordinator in the same transaction that marks
/// the call completed.
/// </summary>
public sealed record ThankYouCallCompleted(
    Guid CallId,
    Guid DonorId,
    Guid VolunteerId,
    DateTimeOffset OccurredAt);
