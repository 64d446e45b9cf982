using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Operations;

/// <summary>A queue as the management API counts it (refreshed by the broker every few seconds).</summary>
public sealed record QueueFigures(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("messages")] long Messages,
    [property: JsonPropertyName("consumers")] int Consumers)
{
    public bool IsErrorQueue => Name.EndsWith("_error", StringComparison.Ordinal);
}

/// <summary>The fault MassTransit wrote into the headers of a message it moved to an error queue.</summary>
public sealed record FaultedMessage(string? MessageId, string? MessageType, string? FaultedAt, string? ExceptionType, string? ExceptionMessage,
    string? Host);

/// <summary>The outcome of a redrive: how many moved, how many are left, and why it stopped early if it did.</summary>
public sealed record Redrive(int Moved, long Left, string? StoppedBecause);

/// <summary>
/// The RabbitMQ management HTTP API: queues with their depth and consumers, the first messages of an error queue, and
/// redrive (from <c>&lt;queue&gt;_error</c> back to <c>&lt;queue&gt;</c>, each message published to the queue before it is
/// taken out of the error queue, so a failure in between leaves a copy rather than a loss).
/// </summary>
public sealed class BrokerQueues(HttpClient http, IOptions<OperationsOptions> options)
{
    BrokerManagementOptions Broker => options.Value.RabbitMq;

    string VirtualHost => Uri.EscapeDataString(Broker.VirtualHost);

    public async Task<IReadOnlyList<QueueFigures>> ListAsync(CancellationToken cancellationToken) =>
        await SendAsync<List<QueueFigures>>(HttpMethod.Get, $"queues/{VirtualHost}?columns=name,messages,consumers", null, cancellationToken) ?? [];

    /// <summary>
    /// The first <paramref name="count"/> messages of an error queue, left in it. Read on request only: each read returns the
    /// messages to the queue, which a quorum queue counts as a delivery.
    /// </summary>
    public async Task<IReadOnlyList<FaultedMessage>> PeekAsync(string errorQueue, int count, CancellationToken cancellationToken)
    {
        var messages = await GetAsync(errorQueue, count, requeue: true, truncate: 2048, cancellationToken);
        return [.. messages.Select(m =>
        {
            var properties = m!["properties"];
            var headers = properties?["headers"];
            string? Header(string name) => headers?[name]?.ToString();
            return new FaultedMessage(properties?["message_id"]?.ToString(), Header("MT-Fault-MessageType") ?? properties?["type"]?.ToString(),
                Header("MT-Fault-Timestamp"), Header("MT-Fault-ExceptionType"), Header("MT-Fault-Message"), Header("MT-Host-MachineName"));
        })];
    }

    /// <summary>Moves up to <paramref name="limit"/> of the messages now in <c>{queue}_error</c> back to <paramref name="queue"/>.</summary>
    public async Task<Redrive> RedriveAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        var errorQueue = queue + "_error";
        // Only what is there now: a redriven message that fails again comes back to the error queue, and must not go round.
        var waiting = (await GetAsync(errorQueue, limit, requeue: true, truncate: 64, cancellationToken))
            .Select(m => m!["properties"]?["message_id"]?.ToString()).ToList();
        var moved = 0;
        string? stopped = null;
        while (moved < waiting.Count)
        {
            var head = (await GetAsync(errorQueue, 1, requeue: true, truncate: 50_000_000, cancellationToken)).FirstOrDefault();
            var id = head?["properties"]?["message_id"]?.ToString();
            if (head is null || id is null || !waiting.Skip(moved).Contains(id))
            {
                stopped = head is null ? null : "the error queue changed meanwhile (another redrive?)";
                break;
            }
            if (!await PublishAsync(queue, head, withoutFault: true, cancellationToken))
            {
                stopped = $"the broker routed the message to no queue named {queue}; it stays in {errorQueue}";
                break;
            }
            var taken = (await GetAsync(errorQueue, 1, requeue: false, truncate: 50_000_000, cancellationToken)).FirstOrDefault();
            if (taken?["properties"]?["message_id"]?.ToString() != id)
            {
                // Someone took the head meanwhile: put back what this took, and stop (one message may now be on both queues).
                if (taken is not null)
                    await PublishAsync(errorQueue, taken, withoutFault: false, cancellationToken);
                stopped = "the error queue changed while moving a message; one message may now be on both queues";
                break;
            }
            moved++;
        }
        var left = (await ListAsync(cancellationToken)).FirstOrDefault(q => q.Name == errorQueue)?.Messages ?? 0;
        return new Redrive(moved, left, stopped);
    }

    async Task<JsonArray> GetAsync(string queue, int count, bool requeue, int truncate, CancellationToken cancellationToken) =>
        await SendAsync<JsonArray>(HttpMethod.Post, $"queues/{VirtualHost}/{Uri.EscapeDataString(queue)}/get", new JsonObject
        {
            ["count"] = count,
            ["ackmode"] = requeue ? "ack_requeue_true" : "ack_requeue_false",
            ["encoding"] = "auto",
            ["truncate"] = truncate,
        }, cancellationToken) ?? [];

    async Task<bool> PublishAsync(string queue, JsonNode message, bool withoutFault, CancellationToken cancellationToken)
    {
        var properties = message["properties"]!.DeepClone().AsObject();
        if (withoutFault && properties["headers"] is JsonObject headers)
        {
            // A redriven message starts afresh: MassTransit writes new fault headers if it fails again.
            foreach (var name in headers.Select(h => h.Key).Where(k => k.StartsWith("MT-Fault-", StringComparison.Ordinal)
                || k.StartsWith("MT-Reason", StringComparison.Ordinal) || k.StartsWith("MT-Host-", StringComparison.Ordinal)).ToList())
            {
                headers.Remove(name);
            }
        }
        var result = await SendAsync<JsonObject>(HttpMethod.Post, $"exchanges/{VirtualHost}/amq.default/publish", new JsonObject
        {
            ["properties"] = properties,
            ["routing_key"] = queue,
            ["payload"] = message["payload"]?.DeepClone(),
            ["payload_encoding"] = message["payload_encoding"]?.DeepClone(),
        }, cancellationToken);
        return result?["routed"]?.GetValue<bool>() == true;
    }

    async Task<T?> SendAsync<T>(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var management = Broker.ManagementUrl ?? throw new InvalidOperationException($"Missing required setting '{OperationsOptions.Section}:RabbitMq:ManagementUrl'.");
        using var request = new HttpRequestMessage(method, new Uri(management, "/api/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Broker.User}:{Broker.Password}")));
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new KeyNotFoundException($"The broker has no {path.Split('/')[0].TrimEnd('s')} {path}.");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken);
    }
}
