namespace CampaignFinance.Data;

/// <summary>Case-insensitive "contains" searches (ILIKE) that match what was typed literally: % and _ are not wildcards.</summary>
public static class TextSearch
{
    /// <summary>The escape character of the patterns below, for <c>EF.Functions.ILike(value, pattern, TextSearch.Escape)</c>.</summary>
    public const string Escape = @"\";

    /// <summary>A pattern matching any text that contains <paramref name="value"/> (trimmed).</summary>
    public static string Containing(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var literal = value.Trim()
            .Replace(Escape, Escape + Escape, StringComparison.Ordinal)
            .Replace("%", Escape + "%", StringComparison.Ordinal)
            .Replace("_", Escape + "_", StringComparison.Ordinal);
        return "%" + literal + "%";
    }
}
