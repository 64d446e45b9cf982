namespace Campaign.Contracts;

/// <summary>
/// A contribution has been recorded for a donor. Published by CampaignFinance for every contribution.
/// Method is one of card, check, cash or wire.
/// </summary>
public sealed record ContributionReceived(
    Guid ContributionId,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateOnly ReceivedOn,
    string Method,
    DateTimeOffset OccurredAt);
