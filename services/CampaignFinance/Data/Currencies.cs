namespace CampaignFinance.Data;

/// <summary>The ISO 4217 currencies contributions may be recorded in. US dollars only for now: a 527's reports are in USD.</summary>
public static class Currencies
{
    public const string UsDollar = "USD";

    public static IReadOnlyList<string> Accepted { get; } = [UsDollar];
}
