using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Features.Volunteers;

/// <summary>A sign-up form.</summary>
/// <param name="Name">The volunteer's name (at most 200 characters).</param>
/// <param name="Email">A valid address (at most 254 characters); one volunteer per address, compared case-insensitively.</param>
/// <param name="Phone">Optional: an optional leading +, then 7 to 15 digits; spaces and dashes are allowed and removed.</param>
/// <param name="Skills">Optional: at most 10 distinct skills.</param>
/// <param name="Availability">Optional: distinct times of the week the volunteer can help.</param>
public sealed record SignUpRequest(
    [Required, StringLength(200)] string? Name,
    [Required, StringLength(254), EmailAddress] string? Email,
    [StringLength(32)] string? Phone = null,
    [property: Description("Known skills: phone-banking, canvassing, data-entry, event-support, driving, translation.")]
    [property: OneOfValues(typeof(VolunteerSkills))]
    List<string?>? Skills = null,
    [property: Description("Times of the week: weekday-daytime, weekday-evenings, weekend-mornings, weekend-afternoons.")]
    [property: OneOfValues(typeof(VolunteerAvailability))]
    List<string?>? Availability = null);

/// <summary>A volunteer as the coordinators see them. The phone holds digits with an optional leading +, or is null.</summary>
public sealed record VolunteerResponse(
    Guid Id,
    string Name,
    string Email,
    string? Phone,
    IReadOnlyList<string> Skills,
    IReadOnlyList<string> Availability,
    DateTimeOffset SignedUpAt)
{
    public static VolunteerResponse From(Volunteer volunteer)
    {
        ArgumentNullException.ThrowIfNull(volunteer);
        return new(volunteer.Id, volunteer.Name, volunteer.Email, volunteer.Phone, volunteer.Skills, volunteer.Availability,
            volunteer.SignedUpAt);
    }
}

public sealed record VolunteerPage(IReadOnlyList<VolunteerResponse> Items, int Page, int PageSize, int TotalCount);

/// <summary>Which volunteer already holds an address (in a 409 problem's <c>volunteer</c> extension). No personal data.</summary>
public sealed record ExistingVolunteer(Guid Id, string Href);
