using CampaignFinance.Data;

namespace CampaignFinance.Features.Contributions;

/// <summary>The rules of a contribution the validation attributes cannot express. Errors are keyed like the request's JSON.</summary>
public sealed record ContributionForm(decimal Amount, string Currency, DateOnly ReceivedOn, ContributionMethod Method)
{
    public const decimal MaxAmount = 1_000_000m;

    /// <param name="request">The request as bound.</param>
    /// <param name="today">The clock's date: a contribution cannot have been received later.</param>
    public static (ContributionForm? Form, Dictionary<string, string[]> Errors) Read(RecordContributionRequest request, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();

        var amount = request.Amount ?? 0m;
        if (request.Amount is null)
            errors["amount"] = ["The amount is required."];
        else if (amount <= 0m)
            errors["amount"] = ["The amount must be more than 0."];
        else if (amount > MaxAmount)
            errors["amount"] = [$"The amount must be at most {MaxAmount:N0}."];
        else if (decimal.Round(amount, 2) != amount)
            errors["amount"] = ["The amount must have at most two decimal places (cents)."];

        // Exact and upper-case: a currency code is an identifier, not free text.
        var currency = request.Currency ?? "";
        if (!Currencies.Accepted.Contains(currency))
            errors["currency"] = [$"The currency must be an upper-case ISO 4217 code; only {string.Join(", ", Currencies.Accepted)} is accepted for now."];

        if (request.ReceivedOn is null)
            errors["receivedOn"] = ["The date received is required."];
        else if (request.ReceivedOn > today)
            errors["receivedOn"] = [$"The date received cannot be in the future (today is {today:yyyy-MM-dd}, UTC)."];

        if (request.Method is not { } method || !Enum.IsDefined(method))
            errors["method"] = ["The method is required: card, check, cash or wire."];

        return errors.Count > 0
            ? (null, errors)
            // Adding 0.00 gives every amount two decimal places, as the database stores it: 25 reads back as 25.00.
            : (new ContributionForm(decimal.Round(amount, 2) + 0.00m, currency, request.ReceivedOn!.Value, request.Method!.Value), errors);
    }
}
