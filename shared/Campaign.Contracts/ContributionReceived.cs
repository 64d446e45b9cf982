namespace Campaign.Contracts;

/// <summary>
/// A contribution has been recorded for a donor. Published by CampaignFinance for every contribution.
/// </summary>
/// <param name="Method">card, check, cash or wire.</param>
public sealed record ContributionReceived(
    Guid ContributionId,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateOnly ReceivedOn,
    string Method,
    DateTimeOffset OccurredAt);
