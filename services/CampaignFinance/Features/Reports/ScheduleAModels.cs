using CampaignFinance.Features.Donors;

namespace CampaignFinance.Features.Reports;

/// <summary>Form 8872 Schedule A: the itemized contributions of a reporting period.</summary>
/// <param name="Period">The period's name (such as 2026-q3), or null for a range given by from and to.</param>
/// <param name="From">The period's first day.</param>
/// <param name="To">The period's last day.</param>
/// <param name="Currency">USD: the form reports dollars; contributions in other currencies are not on it.</param>
/// <param name="Threshold">A contributor is itemized once their calendar-year aggregate reaches this much by the period's end.</param>
/// <param name="Contributors">By name; each with the contributions received in the period.</param>
public sealed record ScheduleAReport(string? Period, DateOnly From, DateOnly To, string Currency, decimal Threshold,
    IAsyncEnumerable<ScheduleAContributor> Contributors);

/// <summary>An itemized contributor, as the form asks for them.</summary>
/// <param name="DonorId">The donor's id.</param>
/// <param name="Name">The contributor's name.</param>
/// <param name="Address">The mailing address, or null.</param>
/// <param name="Employer">The employer, or null.</param>
/// <param name="Occupation">The occupation, or null.</param>
/// <param name="YearToDate">The calendar-year aggregate at the period's end: contributions received from January 1, less
/// refunds paid by then; voided ones count for nothing.</param>
/// <param name="Contributions">The contributions received in the period, by date.</param>
/// <param name="Missing">What the form asks for and the record lacks (address, employer, occupation): the "best efforts"
/// follow-up list. Empty when complete.</param>
public sealed record ScheduleAContributor(Guid DonorId, string Name, PostalAddress? Address, string? Employer, string? Occupation,
    decimal YearToDate, IReadOnlyList<ScheduleAContribution> Contributions, IReadOnlyList<string> Missing);

/// <summary>A contribution received in the period.</summary>
/// <param name="ContributionId">The contribution's id.</param>
/// <param name="ReceivedOn">The day it was received.</param>
/// <param name="Amount">What was received.</param>
/// <param name="Refunded">What of it was refunded by the period's end.</param>
public sealed record ScheduleAContribution(Guid ContributionId, DateOnly ReceivedOn, decimal Amount, decimal Refunded);
