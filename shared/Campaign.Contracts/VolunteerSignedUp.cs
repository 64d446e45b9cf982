namespace Campaign.Contracts;

/// <summary>
/// A person signed up to volunteer. Published by VolunteerCoordinator once per volunteer.
/// </summary>
public sealed record VolunteerSignedUp(
    Guid VolunteerId,
    string Name,
    string Email,
    IReadOnlyList<string> Skills,
    DateTimeOffset OccurredAt);
