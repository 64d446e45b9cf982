namespace Campaign.Contracts;

/// <summary>
/// A donor's first contribution has been recorded: the donor is now secured for the campaign.
/// Published once per donor by CampaignFinance.
/// </summary>
public sealed record DonorSecured(
    Guid DonorId,
    string Name,
    string Email,
    decimal Amount,
    string Currency,
    DateTimeOffset OccurredAt);
