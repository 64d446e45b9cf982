using CampaignFinance.Features.Donors;

namespace CampaignFinance.Features.Reports;

/// <summary>The contributors a 527 organization itemizes on Form 8872 for a calendar year.</summary>
/// <param name="Year">The calendar year the contributions were received in.</param>
/// <param name="Currency">The currency of the totals (USD).</param>
/// <param name="Threshold">Contributions aggregating at least this much in the year are itemized.</param>
/// <param name="Contributors">Largest total first.</param>
public sealed record ItemizedContributorsReport(int Year, string Currency, decimal Threshold, IReadOnlyList<ItemizedContributor> Contributors);

/// <summary>A contributor's line: who they are, as Form 8872 asks, and what they gave in the year.</summary>
/// <param name="DonorId">The donor's id.</param>
/// <param name="Name">The contributor's name.</param>
/// <param name="Address">The mailing address, or null when the donor gave none.</param>
/// <param name="Employer">The employer, or null when the donor gave none.</param>
/// <param name="Occupation">The occupation, or null when the donor gave none.</param>
/// <param name="Total">The sum of the contributions received in the year.</param>
/// <param name="ContributionCount">How many contributions make the total.</param>
public sealed record ItemizedContributor(
    Guid DonorId,
    string Name,
    PostalAddress? Address,
    string? Employer,
    string? Occupation,
    decimal Total,
    int ContributionCount);
