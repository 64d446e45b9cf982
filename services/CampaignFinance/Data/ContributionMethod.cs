using System.Text.Json;
using System.Text.Json.Serialization;

namespace CampaignFinance.Data;

/// <summary>How a contribution was paid. Read and written as lower-case strings (card, check, cash, wire), never numbers.</summary>
[JsonConverter(typeof(ContributionMethodJsonConverter))]
public enum ContributionMethod
{
    Card = 1,
    Check,
    Cash,
    Wire,
}

/// <summary>Numbers are refused: <c>"method": 2</c> would silently mean whatever the enum's order says.</summary>
public sealed class ContributionMethodJsonConverter() : JsonStringEnumConverter<ContributionMethod>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
