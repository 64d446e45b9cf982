using System.Text.Json.Serialization;

namespace CampaignFinance.Data;

/// <summary>What changed a contribution after it was recorded (refund or void in JSON). A contribution is never edited: the ledger keeps both.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AdjustmentKind>))]
public enum AdjustmentKind
{
    /// <summary>Money given back to the donor, all or part of the contribution.</summary>
    [JsonStringEnumMemberName("refund")] Refund = 1,

    /// <summary>The contribution was recorded in error (never received): it counts for nothing.</summary>
    [JsonStringEnumMemberName("void")] Void,
}

/// <summary>A ledger entry linked to a contribution: a refund (full or partial) or a void.</summary>
public sealed class ContributionAdjustment
{
    public Guid Id { get; set; }

    public Guid ContributionId { get; set; }

    /// <summary>The contribution's donor, kept here so a donor's adjustments are read without the contribution.</summary>
    public Guid DonorId { get; set; }

    public AdjustmentKind Kind { get; set; }

    /// <summary>What the entry takes off the contribution: the refunded amount, or for a void all that was left of it.</summary>
    public decimal Amount { get; set; }

    /// <summary>The day the refund was paid, or the day the void was recorded (UTC).</summary>
    public DateOnly EffectiveOn { get; set; }

    /// <summary>Why, for the finance desk (not sent in events: free text may name people).</summary>
    public required string Reason { get; set; }

    public DateTimeOffset RecordedAt { get; set; }
}
