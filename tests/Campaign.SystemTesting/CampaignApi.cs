using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Campaign.SystemTesting;

/// <summary>The response of a POST: its status, and the created resource's id when there is one.</summary>
public sealed record Posted(HttpStatusCode Status, Guid? Id, string Body);

/// <summary>
/// The business requests the system tests and the benchmark make, in the services' JSON shapes. Each returns the status
/// rather than throwing, so a test can assert on a 409 or 503 too.
/// </summary>
public static class CampaignApi
{
    /// <summary>POST /donors with a name and an email address.</summary>
    public static Task<Posted> RegisterDonorAsync(this CampaignSystem system, string name, string email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        return PostAsync(system.Finance.Client, "/donors", new { name, email }, null, cancellationToken);
    }

    /// <summary>POST /donors/{id}/contributions (USD, by card, received today), with an Idempotency-Key and a traceparent if given.</summary>
    public static Task<Posted> RecordContributionAsync(this CampaignSystem system, Guid donorId, decimal amount, string? idempotencyKey = null,
        string? traceparent = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        var headers = new Dictionary<string, string>();
        if (idempotencyKey is not null)
            headers["Idempotency-Key"] = idempotencyKey;
        if (traceparent is not null)
            headers["traceparent"] = traceparent;
        var body = new
        {
            amount,
            currency = "USD",
            receivedOn = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            method = "card",
        };
        return PostAsync(system.Finance.Client, $"/donors/{donorId}/contributions", body, headers, cancellationToken);
    }

    /// <summary>POST /volunteers; skills such as "phone-banking".</summary>
    public static Task<Posted> SignUpVolunteerAsync(this CampaignSystem system, string name, string email, string? phone = null,
        IReadOnlyList<string>? skills = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        return PostAsync(system.Volunteers.Client, "/volunteers", new { name, email, phone, skills = skills ?? [] }, null, cancellationToken);
    }

    /// <summary>POST /messages/search on Communications: the messages to one address (at most 100).</summary>
    public static async Task<IReadOnlyList<JsonElement>> MessagesToAsync(this CampaignSystem system, string recipient, string? kind = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        using var response = await system.Communications.Client.PostAsJsonAsync(new Uri("/messages/search", UriKind.Relative),
            new { recipient, kind, pageSize = 100 }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    /// <summary>A W3C traceparent header for a new trace (sampled), and the trace id in it (32 lower-case hex digits).</summary>
    public static (string Traceparent, string TraceId) NewTrace()
    {
        var traceId = Guid.NewGuid().ToString("N");
        var spanId = Guid.NewGuid().ToString("N")[..16];
        return ($"00-{traceId}-{spanId}-01", traceId);
    }

    public static async Task<Posted> PostAsync(HttpClient client, string path, object body, IReadOnlyDictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Guid? id = null;
        if (response.IsSuccessStatusCode && text.StartsWith('{'))
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.TryGetProperty("id", out var value) && value.TryGetGuid(out var guid))
                id = guid;
        }
        return new Posted(response.StatusCode, id, text);
    }
}
