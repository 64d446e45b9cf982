namespace Campaign.Contracts;

/// <summary>
/// Money was given back to a donor: all or part of a contribution (several partial refunds are several events). The
/// contribution itself is unchanged; <see cref="RemainingAmount"/> is what still counts of it. Published by CampaignFinance.
/// </summary>
public sealed record ContributionRefunded(
    Guid RefundId,
    Guid ContributionId,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateOnly RefundedOn,
    decimal RemainingAmount,
    DateTimeOffset OccurredAt);
