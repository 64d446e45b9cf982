using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Campaign.ServiceDefaults;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

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
/// The broker as the operators see it: queues with their depth and consumers and the first messages of an error queue
/// (the RabbitMQ management HTTP API), and redrive from <c>&lt;queue&gt;_error</c> back to <c>&lt;queue&gt;</c> (AMQP).
/// </summary>
public sealed class BrokerQueues(HttpClient http, IOptions<OperationsOptions> options, IConfiguration configuration)
{
    /// <summary>The page's AMQP connection (its monitoring user), for redrive: the same setting as a service's.</summary>
    public const string AmqpKey = "ConnectionStrings:RabbitMq";

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

    /// <summary>
    /// Moves up to <paramref name="limit"/> of the messages now in <c>{queue}_error</c> back to <paramref name="queue"/>, over
    /// AMQP: each is taken unacknowledged, published to the queue, and acknowledged only once the broker confirmed the
    /// publish. A failure in between leaves it in the error queue (at worst also on the queue, where the inbox turns a
    /// second delivery away); nothing is lost. Only as many as were there when it started: a redriven message that fails
    /// again comes back after its retries and must not go round.
    /// </summary>
    public async Task<Redrive> RedriveAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        var errorQueue = queue + "_error";
        var factory = MessagingExtensions.CheckConnection(configuration, "operations page redrive")
            ?? throw new InvalidOperationException($"Setting '{AmqpKey}' must be an amqp:// or amqps:// URI.");
        await using var connection = await factory.ConnectToAnyNodeAsync(configuration, cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var waiting = Math.Min(limit, (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount);
        var moved = 0;
        string? stopped = null;
        while (moved < waiting)
        {
            var message = await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken);
            if (message is null)
                break;
            var properties = new BasicProperties(message.BasicProperties);
            // A redriven message starts afresh: MassTransit writes new fault headers if it fails again.
            if (properties.Headers is { } headers)
            {
                foreach (var name in headers.Keys.Where(k => k.StartsWith("MT-Fault-", StringComparison.Ordinal)
                    || k.StartsWith("MT-Reason", StringComparison.Ordinal) || k.StartsWith("MT-Host-", StringComparison.Ordinal)).ToList())
                {
                    headers.Remove(name);
                }
            }
            try
            {
                await channel.BasicPublishAsync("", queue, mandatory: true, properties, message.Body, cancellationToken);
            }
            catch (PublishException e)
            {
                await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, cancellationToken);
                stopped = e.IsReturn ? $"the broker has no queue named {queue}; the message stays in {errorQueue}" : $"the broker refused the message ({e.Message})";
                break;
            }
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }
        var left = (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount;
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
