using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Campaign.Testing;

namespace Campaign.ResilienceTests.Support;

/// <summary>A message as the management API's "get" returns it: its properties (message id, headers) and body.</summary>
public sealed record BrokerMessage(string? MessageId, IReadOnlyDictionary<string, JsonElement> Headers, string Payload, bool Redelivered)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value.ToString() : null;
}

/// <summary>
/// What the fault and poison-message tests do to the broker through its management HTTP API (the campaign vhost): cut the
/// clients' connections, publish straight onto a queue, and look at (or take) the messages in a queue.
/// </summary>
public sealed class BrokerAdmin : IDisposable
{
    readonly HttpClient _http;

    public BrokerAdmin()
    {
        _http = new HttpClient { BaseAddress = new Uri(TestInfrastructure.Get("CAMPAIGN_RABBITMQ_MANAGEMENT_URL")), Timeout = TimeSpan.FromSeconds(15) };
        var credentials = $"{TestInfrastructure.Get("CAMPAIGN_RABBITMQ_USER")}:{TestInfrastructure.Get("CAMPAIGN_RABBITMQ_PASSWORD")}";
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        VirtualHost = TestInfrastructure.Get("CAMPAIGN_RABBITMQ_VHOST");
    }

    public string VirtualHost { get; }

    string Vhost => Uri.EscapeDataString(VirtualHost);

    /// <summary>The names of the client connections open on the vhost.</summary>
    public async Task<IReadOnlyList<string>> ConnectionsAsync()
    {
        var connections = await _http.GetFromJsonAsync<JsonElement>($"/api/vhosts/{Vhost}/connections");
        return [.. connections.EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];
    }

    /// <summary>Closes every client connection on the vhost (the broker tells the clients why); returns how many.</summary>
    public async Task<int> CloseConnectionsAsync(string reason)
    {
        var closed = 0;
        foreach (var name in await ConnectionsAsync())
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/connections/{Uri.EscapeDataString(name)}");
            request.Headers.Add("X-Reason", reason);
            using var response = await _http.SendAsync(request);
            if (response.IsSuccessStatusCode)
                closed++;
        }
        return closed;
    }

    /// <summary>Publishes a message straight onto <paramref name="queue"/> (default exchange); false if the broker routed it nowhere.</summary>
    public async Task<bool> PublishToQueueAsync(string queue, string payload, string messageId, string contentType,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var properties = new JsonObject
        {
            ["message_id"] = messageId,
            ["content_type"] = contentType,
            ["delivery_mode"] = 2,
            ["headers"] = new JsonObject((headers ?? new Dictionary<string, string>()).Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
        };
        var body = new JsonObject
        {
            ["properties"] = properties,
            ["routing_key"] = queue,
            ["payload"] = payload,
            ["payload_encoding"] = "string",
        };
        using var response = await _http.PostAsJsonAsync($"/api/exchanges/{Vhost}/amq.default/publish", body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("routed").GetBoolean();
    }

    /// <summary>Up to <paramref name="count"/> messages from the head of the queue, left in it (requeued).</summary>
    public Task<IReadOnlyList<BrokerMessage>> PeekAsync(string queue, int count) => GetAsync(queue, count, "ack_requeue_true");

    /// <summary>Up to <paramref name="count"/> messages from the head of the queue, removed from it.</summary>
    public Task<IReadOnlyList<BrokerMessage>> TakeAsync(string queue, int count) => GetAsync(queue, count, "ack_requeue_false");

    async Task<IReadOnlyList<BrokerMessage>> GetAsync(string queue, int count, string ackMode)
    {
        using var response = await _http.PostAsJsonAsync($"/api/queues/{Vhost}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = ackMode, encoding = "auto", truncate = 100_000 });
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return [];
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. messages.EnumerateArray().Select(m =>
        {
            var properties = m.GetProperty("properties");
            var headers = properties.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object
                ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())
                : [];
            var id = properties.TryGetProperty("message_id", out var mid) ? mid.GetString() : null;
            return new BrokerMessage(id, headers, m.GetProperty("payload").GetString() ?? "", m.GetProperty("redelivered").GetBoolean());
        })];
    }

    /// <summary>Deletes a queue, only if no consumer is attached (a queue nothing reads any more).</summary>
    public async Task<bool> DeleteUnusedQueueAsync(string queue)
    {
        using var response = await _http.DeleteAsync($"/api/queues/{Vhost}/{Uri.EscapeDataString(queue)}?if-unused=true");
        return response.IsSuccessStatusCode;
    }

    public void Dispose() => _http.Dispose();
}
