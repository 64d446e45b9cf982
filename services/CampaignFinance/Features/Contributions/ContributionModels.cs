using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CampaignFinance.Data;

namespace CampaignFinance.Features.Contributions;

/// <summary>
/// A contribution received from a donor. The attributes document the rules in the OpenAPI document;
/// <see cref="ContributionForm"/> enforces them, keying errors like the JSON.
/// </summary>
/// <param name="Amount">More than 0, at most 1,000,000, at most two decimal places.</param>
/// <param name="Currency">ISO 4217 code, upper-case. Only USD is accepted for now.</param>
/// <param name="ReceivedOn">The day the money was received; not after today (UTC).</param>
/// <param name="Method">card, check, cash or wire.</param>
public sealed record RecordContributionRequest(
    [Required] decimal? Amount,
    [Required] string? Currency,
    [Required] DateOnly? ReceivedOn,
    [Required] ContributionMethod? Method);

/// <summary>A recorded contribution, with its refunds and void (ledger entries of their own: the contribution never changes).</summary>
/// <param name="Id">The contribution's id.</param>
/// <param name="DonorId">The donor's id.</param>
/// <param name="Amount">What was received.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="ReceivedOn">The day the money was received.</param>
/// <param name="Method">card, check, cash or wire.</param>
/// <param name="RecordedAt">When it was recorded.</param>
/// <param name="Refunded">What was given back so far.</param>
/// <param name="Net">What still counts toward the donor's aggregates: the amount less refunds, 0 once voided.</param>
/// <param name="State">received, partially-refunded, refunded or voided.</param>
/// <param name="Adjustments">The refunds and the void, oldest first.</param>
public sealed record ContributionResponse(
    Guid Id,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateOnly ReceivedOn,
    ContributionMethod Method,
    DateTimeOffset RecordedAt,
    decimal Refunded,
    decimal Net,
    ContributionState State,
    IReadOnlyList<AdjustmentResponse> Adjustments)
{
    /// <param name="contribution">With its <see cref="Contribution.Adjustments"/> loaded.</param>
    public static ContributionResponse From(Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        var ledger = ContributionLedger.Of(contribution);
        return new(contribution.Id, contribution.DonorId, contribution.Amount, contribution.Currency, contribution.ReceivedOn,
            contribution.Method, contribution.RecordedAt, ledger.Refunded, ledger.Net, ledger.State,
            [.. contribution.Adjustments.OrderBy(a => a.RecordedAt).ThenBy(a => a.Id).Select(AdjustmentResponse.From)]);
    }
}

/// <summary>Where a contribution stands after its refunds and void.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ContributionState>))]
public enum ContributionState
{
    [JsonStringEnumMemberName("received")] Received,
    [JsonStringEnumMemberName("partially-refunded")] PartiallyRefunded,
    [JsonStringEnumMemberName("refunded")] Refunded,
    [JsonStringEnumMemberName("voided")] Voided,
}

/// <summary>A refund or void of a contribution.</summary>
/// <param name="Id">The entry's id.</param>
/// <param name="Kind">refund or void.</param>
/// <param name="Amount">What it takes off the contribution.</param>
/// <param name="EffectiveOn">The day the refund was paid, or the day the void was recorded.</param>
/// <param name="Reason">Why, as the finance desk wrote it.</param>
/// <param name="RecordedAt">When it was recorded.</param>
public sealed record AdjustmentResponse(Guid Id, AdjustmentKind Kind, decimal Amount, DateOnly EffectiveOn, string Reason, DateTimeOffset RecordedAt)
{
    public static AdjustmentResponse From(ContributionAdjustment adjustment)
    {
        ArgumentNullException.ThrowIfNull(adjustment);
        return new(adjustment.Id, adjustment.Kind, adjustment.Amount, adjustment.EffectiveOn, adjustment.Reason, adjustment.RecordedAt);
    }
}

/// <summary>A contribution's refunds and void, summed.</summary>
public sealed record ContributionLedger(decimal Refunded, decimal Net, ContributionState State)
{
    public static ContributionLedger Of(Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        var refunded = contribution.Adjustments.Where(a => a.Kind == AdjustmentKind.Refund).Sum(a => a.Amount) + 0.00m;
        var voided = contribution.Adjustments.Any(a => a.Kind == AdjustmentKind.Void);
        var net = voided ? 0.00m : contribution.Amount - refunded;
        var state = voided ? ContributionState.Voided
            : refunded == 0m ? ContributionState.Received
            : net == 0m ? ContributionState.Refunded
            : ContributionState.PartiallyRefunded;
        return new(refunded, net, state);
    }
}

/// <summary>A refund: all that is left of the contribution when no amount is given.</summary>
/// <param name="Amount">Optional: more than 0, at most what is left of the contribution, two decimal places at most.</param>
/// <param name="RefundedOn">The day the money was given back: not before the contribution was received, not after today (UTC).</param>
/// <param name="Reason">Why, 1 to 500 characters (for the finance desk; not sent to subscribers).</param>
public sealed record RefundContributionRequest(
    decimal? Amount,
    [Required] DateOnly? RefundedOn,
    [Required, StringLength(AdjustmentLimits.ReasonLength, MinimumLength = 1)] string? Reason);

/// <summary>A void: the contribution was recorded in error and counts for nothing.</summary>
/// <param name="Reason">Why, 1 to 500 characters.</param>
public sealed record VoidContributionRequest(
    [Required, StringLength(AdjustmentLimits.ReasonLength, MinimumLength = 1)] string? Reason);

/// <summary>A page of the ledger.</summary>
public sealed record ContributionPage(IReadOnlyList<ContributionResponse> Items, int Page, int PageSize, int TotalCount);
