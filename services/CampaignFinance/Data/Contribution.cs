namespace CampaignFinance.Data;

/// <summary>Money received from a donor.</summary>
public sealed class Contribution
{
    public Guid Id { get; set; }

    public Guid DonorId { get; set; }

    /// <summary>Positive, two decimal places at most.</summary>
    public decimal Amount { get; set; }

    /// <summary>ISO 4217 code, see <see cref="Currencies"/>.</summary>
    public required string Currency { get; set; }

    /// <summary>The day the organization received the money (what Form 8872 reports), not the day it was recorded.</summary>
    public DateOnly ReceivedOn { get; set; }

    public ContributionMethod Method { get; set; }

    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>Refunds and the void, if any: the contribution's own row never changes after it is recorded.</summary>
    public List<ContributionAdjustment> Adjustments { get; } = [];
}
