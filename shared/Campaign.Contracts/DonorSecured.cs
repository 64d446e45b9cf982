namespace Campaign.Contracts;

/// <summary>
/// A donor's first contribution has been recorded: the donor is now secured for the campaign.
/// Published once per donor by CampaignFinance.
/// </summary>
/// <param name="DonorId">The donor's id in CampaignFinance.</param>
/// <param name="Name">The donor's name, for a salutation.</param>
/// <param name="Email">Null for a donor recorded without one (a check or cash gift): there is nobody to email.</param>
/// <param name="Amount">The first contribution's amount.</param>
/// <param name="Currency">Its ISO 4217 code.</param>
/// <param name="OccurredAt">When the contribution was recorded.</param>
public sealed record DonorSecured(
    Guid DonorId,
    string Name,
    string? Email,
    decimal Amount,
    string Currency,
    DateTimeOffset OccurredAt);
