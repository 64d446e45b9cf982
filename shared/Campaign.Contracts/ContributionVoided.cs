namespace Campaign.Contracts;

/// <summary>
/// A contribution was recorded in error (it was never received) and now counts for nothing. Undo what
/// <see cref="ContributionReceived"/> did for it. Published by CampaignFinance, at most once per contribution.
/// </summary>
public sealed record ContributionVoided(
    Guid ContributionId,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateTimeOffset OccurredAt);
