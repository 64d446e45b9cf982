namespace CampaignFinance.Idempotency;

/// <summary>The <c>Idempotency-Key</c> request header: optional; when present, 1 to 100 printable ASCII characters.</summary>
public static class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";
    public const int MaxLength = 100;

    /// <summary>The key, or null without the header; errors (keyed by the header's name) when the header is malformed.</summary>
    public static (string? Key, Dictionary<string, string[]> Errors) Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        if (!request.Headers.TryGetValue(HeaderName, out var values))
            return (null, errors);

        var key = values.Count == 1 ? values[0] : null;
        if (key is null || key.Length is 0 or > MaxLength || !key.All(c => c is >= ' ' and <= '~'))
        {
            errors[HeaderName] = [$"The {HeaderName} header must be one value of 1 to {MaxLength} printable ASCII characters."];
            return (null, errors);
        }
        return (key, errors);
    }
}
