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

/// <summary>
/// Exactly one method name (any case). Numbers are refused: <c>"method": 2</c> would silently mean whatever the enum's order
/// says. So are lists: <see cref="JsonStringEnumConverter"/> reads <c>"card, check"</c> as the flags Card | Check, which is
/// Cash, and recorded a contribution paid by card as cash.
/// </summary>
public sealed class ContributionMethodJsonConverter : JsonConverter<ContributionMethod>
{
    public override ContributionMethod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString();
            foreach (var method in Enum.GetValues<ContributionMethod>())
            {
                if (string.Equals(text, Name(method), StringComparison.OrdinalIgnoreCase))
                    return method;
            }
        }
        throw new JsonException("The method must be one of: card, check, cash, wire.");
    }

    public override void Write(Utf8JsonWriter writer, ContributionMethod value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Name(value));
    }

    static string Name(ContributionMethod method) => method.ToString().ToLowerInvariant();
}
