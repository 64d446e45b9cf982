using System.ComponentModel.DataAnnotations;
using CampaignFinance.Data;

namespace CampaignFinance.Features.Donors;

/// <summary>
/// A donor's registration. The attributes document the rules in the OpenAPI document; <see cref="DonorForm"/> enforces them,
/// so that every error is keyed like the JSON (<c>name</c>, <c>address.postalCode</c>): the framework's validation would key
/// its errors by the C# names (aspnetcore issue 61764).
/// </summary>
/// <param name="Name">At most 200 characters.</param>
/// <param name="Email">Optional (a gift by check or cash may come without one): a valid address, at most 254 characters;
/// one donor per address, compared case-insensitively.</param>
/// <param name="Address">Optional US postal address; itemized contributions (Form 8872) report it.</param>
/// <param name="Employer">Optional, at most 200 characters; itemized contributions report it.</param>
/// <param name="Occupation">Optional, at most 200 characters; itemized contributions report it.</param>
/// <param name="ConfirmedNewDonor">A donor without email whose name and ZIP code match a registered donor's is refused (409,
/// the matches in <c>possibleDuplicates</c>) unless this is true: the person checked that it is someone else.</param>
public sealed record RegisterDonorRequest(
    [Required, StringLength(DonorLimits.NameLength)] string? Name,
    [StringLength(DonorLimits.EmailLength), EmailAddress] string? Email,
    PostalAddressRequest? Address,
    [StringLength(DonorLimits.EmployerLength)] string? Employer,
    [StringLength(DonorLimits.OccupationLength)] string? Occupation,
    bool? ConfirmedNewDonor = null);

/// <summary>
/// A correction of a donor's record (JSON merge patch, RFC 7396): only the fields present change; <c>null</c> clears an
/// optional one. The email address is not corrected here (it is the donor's identity for Communications).
/// </summary>
/// <param name="Name">The corrected name (cannot be cleared).</param>
/// <param name="Address">The whole corrected address, or null to remove it.</param>
/// <param name="Employer">The corrected employer, or null to remove it.</param>
/// <param name="Occupation">The corrected occupation, or null to remove it.</param>
public sealed record CorrectDonorRequest(
    [StringLength(DonorLimits.NameLength)] string? Name,
    PostalAddressRequest? Address,
    [StringLength(DonorLimits.EmployerLength)] string? Employer,
    [StringLength(DonorLimits.OccupationLength)] string? Occupation);

/// <summary>A US postal address.</summary>
/// <param name="Line1">Street address, at most 200 characters.</param>
/// <param name="Line2">Optional: apartment, suite, unit; at most 200 characters.</param>
/// <param name="City">At most 100 characters.</param>
/// <param name="State">Two-letter USPS code of a state, DC, a territory or an armed forces region (AA, AE, AP).</param>
/// <param name="PostalCode">ZIP (12345) or ZIP+4 (12345-6789).</param>
public sealed record PostalAddressRequest(
    [Required, StringLength(DonorLimits.AddressLineLength)] string? Line1,
    [StringLength(DonorLimits.AddressLineLength)] string? Line2,
    [Required, StringLength(DonorLimits.CityLength)] string? City,
    [Required, StringLength(2, MinimumLength = 2)] string? State,
    [Required, StringLength(10)] string? PostalCode);

public sealed record PostalAddress(string Line1, string? Line2, string City, string State, string PostalCode)
{
    public static PostalAddress? From(Donor donor)
    {
        ArgumentNullException.ThrowIfNull(donor);
        return Of(donor.AddressLine1, donor.AddressLine2, donor.City, donor.State, donor.PostalCode);
    }

    /// <summary>The address stored in these columns, or null when a required part is missing (no address was given).</summary>
    public static PostalAddress? Of(string? line1, string? line2, string? city, string? state, string? postalCode) =>
        line1 is not null && city is not null && state is not null && postalCode is not null
            ? new PostalAddress(line1, line2, city, state, postalCode)
            : null;
}

/// <summary>A donor.</summary>
/// <param name="Id">The donor's id.</param>
/// <param name="Name">The donor's name.</param>
/// <param name="Email">The address as registered (unique, compared case-insensitively), or null for a donor without one.</param>
/// <param name="Address">The postal address, or null.</param>
/// <param name="Employer">The employer, or null.</param>
/// <param name="Occupation">The occupation, or null.</param>
/// <param name="RegisteredAt">When the donor was registered.</param>
/// <param name="SecuredAt">When the donor's first contribution was recorded; null before.</param>
public sealed record DonorResponse(
    Guid Id,
    string Name,
    string? Email,
    PostalAddress? Address,
    string? Employer,
    string? Occupation,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? SecuredAt)
{
    public static DonorResponse From(Donor donor)
    {
        ArgumentNullException.ThrowIfNull(donor);
        return new(donor.Id, donor.Name, donor.Email, PostalAddress.From(donor), donor.Employer, donor.Occupation, donor.RegisteredAt,
            donor.SecuredAt);
    }
}

/// <summary>What a donor has given in one currency.</summary>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="Lifetime">All contributions, less refunds and voided ones.</param>
/// <param name="YearToDate">Contributions received in the calendar year of the details' <c>asOf</c> date, less their refunds.</param>
public sealed record DonorTotal(string Currency, decimal Lifetime, decimal YearToDate);

/// <summary>A donor with their totals.</summary>
/// <param name="Id">The donor's id.</param>
/// <param name="Name">The donor's name.</param>
/// <param name="Email">The address as registered, or null.</param>
/// <param name="Address">The postal address, or null.</param>
/// <param name="Employer">The employer, or null.</param>
/// <param name="Occupation">The occupation, or null.</param>
/// <param name="RegisteredAt">When the donor was registered.</param>
/// <param name="SecuredAt">When the donor's first contribution was recorded; null before.</param>
/// <param name="AsOf">Today (UTC): the year-to-date totals count the contributions received from January 1 of its year.</param>
/// <param name="Totals">One entry per accepted currency (USD only for now), zero when the donor has given nothing.</param>
public sealed record DonorDetails(
    Guid Id,
    string Name,
    string? Email,
    PostalAddress? Address,
    string? Employer,
    string? Occupation,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? SecuredAt,
    DateOnly AsOf,
    IReadOnlyList<DonorTotal> Totals);

public sealed record DonorPage(IReadOnlyList<DonorResponse> Items, int Page, int PageSize, int TotalCount);

/// <summary>Which donors to list: every filter optional; page from 1, page size 1 to 100.</summary>
/// <param name="Name">A part of the name, matched case-insensitively and literally.</param>
/// <param name="Email">A whole address, compared case-insensitively.</param>
/// <param name="Page">The page, from 1.</param>
/// <param name="PageSize">Donors per page.</param>
public sealed record DonorSearch(string? Name, string? Email, int? Page, int? PageSize);
