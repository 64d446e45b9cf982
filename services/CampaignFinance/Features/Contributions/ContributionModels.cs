using System.ComponentModel.DataAnnotations;
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

/// <summary>A recorded contribution.</summary>
public sealed record ContributionResponse(
    Guid Id,
    Guid DonorId,
    decimal Amount,
    string Currency,
    DateOnly ReceivedOn,
    ContributionMethod Method,
    DateTimeOffset RecordedAt)
{
    public static ContributionResponse From(Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        return new(contribution.Id, contribution.DonorId, contribution.Amount, contribution.Currency, contribution.ReceivedOn,
            contribution.Method, contribution.RecordedAt);
    }
}
