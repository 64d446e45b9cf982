using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;
using Campaign.Testing;

namespace Campaign.SystemTesting;

/// <summary>One client connection as the management API reports it.</summary>
public sealed record ConnectionInfo(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("vhost")] string VirtualHost,
    [property: JsonPropertyName("ssl")] bool Tls,
    [property: JsonPropertyName("ssl_protocol")] string? TlsProtocol);

/// <summary>One queue as the management API reports it (counts are refreshed by the broker every few seconds).</summary>
public sealed record QueueInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("messages")] long Messages,
    [property: JsonPropertyName("messages_ready")] long Ready,
    [property: JsonPropertyName("messages_unacknowledged")] long Unacknowledged,
    [property: JsonPropertyName("consumers")] int Consumers,
    [property: JsonPropertyName("type")] string? Type = null)
{
    public bool IsErrorQueue => Name.EndsWith("_error", StringComparison.Ordinal);
}

/// <summary>
/// The RabbitMQ management HTTP API of the private node (<c>CAMPAIGN_RABBITMQ_MANAGEMENT_URL</c>, user and password), on the
/// campaign's virtual host: queues with their depths, error queues, purge.
/// </summary>
public sealed class RabbitMqManagement : IDisposable
{
    readonly HttpClient _http;
    readonly string _vhost;

    public RabbitMqManagement()
        : this(new Uri(TestInfrastructure.Get("CAMPAIGN_RABBITMQ_MANAGEMENT_URL")))
    {
    }

    /// <summary>The management API at <paramref name="managementUrl"/> (a local cluster's: CAMPAIGN_RABBITMQ_CLUSTER_MANAGEMENT_URL).</summary>
    public RabbitMqManagement(Uri managementUrl)
    {
        _http = new HttpClient { BaseAddress = managementUrl, Timeout = TimeSpan.FromSeconds(10) };
        var credentials = $"{TestInfrastructure.Get("CAMPAIGN_RABBITMQ_USER")}:{TestInfrastructure.Get("CAMPAIGN_RABBITMQ_PASSWORD")}";
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        _vhost = Uri.EscapeDataString(TestInfrastructure.Get("CAMPAIGN_RABBITMQ_VHOST"));
    }

    public async Task<IReadOnlyList<QueueInfo>> QueuesAsync(CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<List<QueueInfo>>(new Uri($"/api/queues/{_vhost}", UriKind.Relative), cancellationToken) ?? [];

    /// <summary>One queue, or null if it does not exist.</summary>
    public async Task<QueueInfo?> QueueAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var response = await _http.GetAsync(new Uri($"/api/queues/{_vhost}/{Uri.EscapeDataString(name)}", UriKind.Relative), cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<QueueInfo>(cancellationToken);
    }

    /// <summary>The <c>*_error</c> queues (where MassTransit moves messages whose consumer kept failing).</summary>
    public async Task<IReadOnlyList<QueueInfo>> ErrorQueuesAsync(CancellationToken cancellationToken = default) =>
        [.. (await QueuesAsync(cancellationToken)).Where(q => q.IsErrorQueue)];

    /// <summary>Deletes every message in the queue (no-op if it does not exist).</summary>
    public async Task PurgeAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var response = await _http.DeleteAsync(new Uri($"/api/queues/{_vhost}/{Uri.EscapeDataString(name)}/contents", UriKind.Relative), cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            response.EnsureSuccessStatusCode();
    }

    /// <summary>Deletes a queue and the exchange of the same name MassTransit binds it to (no-op for either that does not exist).</summary>
    public async Task DeleteQueueAndExchangeAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var kind in new[] { "queues", "exchanges" })
        {
            using var response = await _http.DeleteAsync(new Uri($"/api/{kind}/{_vhost}/{Uri.EscapeDataString(name)}", UriKind.Relative), cancellationToken);
            if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
                response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// A new virtual host where every user has the permissions it has on the campaign's (each service's user only its own
    /// exchanges and queues): a system of its own, with no other system's queues.
    /// </summary>
    public async Task CreateVirtualHostAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var vhost = Uri.EscapeDataString(name);
        using (var created = await _http.PutAsJsonAsync(new Uri($"/api/vhosts/{vhost}", UriKind.Relative), new { }, cancellationToken))
            created.EnsureSuccessStatusCode();
        var permissions = await _http.GetFromJsonAsync<List<Permission>>(new Uri($"/api/vhosts/{_vhost}/permissions", UriKind.Relative), cancellationToken) ?? [];
        foreach (var permission in permissions)
        {
            using var permitted = await _http.PutAsJsonAsync(new Uri($"/api/permissions/{vhost}/{Uri.EscapeDataString(permission.User)}", UriKind.Relative),
                new { configure = permission.Configure, write = permission.Write, read = permission.Read }, cancellationToken);
            permitted.EnsureSuccessStatusCode();
        }
    }

    sealed record Permission(
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("configure")] string Configure,
        [property: JsonPropertyName("write")] string Write,
        [property: JsonPropertyName("read")] string Read);

    /// <summary>
    /// Takes <paramref name="exchange"/> out of what <paramref name="user"/> may write on the campaign's virtual host, as an
    /// operator's mistake would; disposing the result puts the user's permissions back as they were.
    /// </summary>
    public async Task<IAsyncDisposable> RefuseWritesAsync(string user, string exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var path = new Uri($"/api/permissions/{_vhost}/{Uri.EscapeDataString(user)}", UriKind.Relative);
        var before = await _http.GetFromJsonAsync<Permission>(path, cancellationToken)
            ?? throw new InvalidOperationException($"The broker user {user} has no permissions on the virtual host.");
        // A lookahead in front of the user's own pattern: everything it allowed, except this one exchange.
        await PutAsync($"^(?!{System.Text.RegularExpressions.Regex.Escape(exchange)}$)(?:{before.Write})");
        return new Restore(() => PutAsync(before.Write));

        async Task PutAsync(string write)
        {
            using var response = await _http.PutAsJsonAsync(path, new { configure = before.Configure, write, read = before.Read }, CancellationToken.None);
            response.EnsureSuccessStatusCode();
        }
    }

    sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }

    /// <summary>Declares a durable classic queue (no-op if it exists with the same settings).</summary>
    public async Task DeclareQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PutAsJsonAsync(new Uri($"/api/queues/{_vhost}/{Uri.EscapeDataString(name)}", UriKind.Relative),
            new { durable = true }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Publishes a message straight to a queue (through the default exchange), with AMQP properties and headers.</summary>
    public async Task PublishToQueueAsync(string queue, string body, string messageId, IReadOnlyDictionary<string, object> headers,
        CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync(new Uri($"/api/exchanges/{_vhost}/amq.default/publish", UriKind.Relative), new
        {
            properties = new Dictionary<string, object>
            {
                ["message_id"] = messageId,
                ["content_type"] = "application/vnd.masstransit+json",
                ["delivery_mode"] = 2,
                ["headers"] = headers,
            },
            routing_key = queue,
            payload = body,
            payload_encoding = "string",
        }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var routed = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cancellationToken);
        if (!routed.GetProperty("routed").GetBoolean())
            throw new InvalidOperationException($"The broker routed the message to no queue named {queue}.");
    }

    /// <summary>The open client connections of every virtual host: who, where, and whether over TLS.</summary>
    public async Task<IReadOnlyList<ConnectionInfo>> ConnectionsAsync(CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<List<ConnectionInfo>>(new Uri("/api/connections", UriKind.Relative), cancellationToken) ?? [];

    /// <summary>Deletes a virtual host with its queues and exchanges (no-op if it does not exist).</summary>
    public async Task DeleteVirtualHostAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var response = await _http.DeleteAsync(new Uri($"/api/vhosts/{Uri.EscapeDataString(name)}", UriKind.Relative), cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            response.EnsureSuccessStatusCode();
    }

    public void Dispose() => _http.Dispose();
}
