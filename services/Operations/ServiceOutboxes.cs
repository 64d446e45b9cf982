using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Operations;

/// <summary>What the page shows of one service's outbox: its figures and parked units of work, or why they could not be read.</summary>
public sealed record ServiceOutbox(OutboxFigures? Outbox, IReadOnlyList<ParkedUnit> Parked, string? Problem);

/// <summary>The figures of <c>GET /admin/outbox</c> (Campaign.Outbox's <c>OutboxStatus</c>), as the page reads them.</summary>
public sealed record OutboxFigures(long Pending, double OldestPendingAgeSeconds, long Scheduled, long Parked, DateTimeOffset? MeasuredAt,
    IReadOnlyList<LagMinute> LagLastHour);

public sealed record LagMinute(DateTimeOffset Minute, long Delivered, double MeanMilliseconds, double MaxMilliseconds);

public sealed record ParkedUnit(Guid OutboxId, DateTime Created, DateTime Parked, int DeliveryAttempts, string? LastError, long Messages);

/// <summary>Each service's <c>/admin/outbox</c>, called with the signed-in operator's own access token.</summary>
public sealed class ServiceOutboxes(HttpClient http, IOptions<OperationsOptions> options, IHttpContextAccessor accessor)
{
    public IReadOnlyCollection<string> Names => options.Value.Services.Keys;

    public async Task<ServiceOutbox> ReadAsync(string service, CancellationToken cancellationToken)
    {
        try
        {
            var figures = await SendAsync<OutboxFigures>(HttpMethod.Get, service, "admin/outbox/", cancellationToken);
            var parked = await SendAsync<List<ParkedUnit>>(HttpMethod.Get, service, "admin/outbox/parked", cancellationToken);
            return new ServiceOutbox(figures, parked ?? [], null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // One service down does not blank the page: its card says so.
            return new ServiceOutbox(null, [], e is TaskCanceledException ? "no answer within 10 s" : e.Message);
        }
    }

    /// <summary>True when released, false when the service knows no such parked unit of work (released meanwhile).</summary>
    public async Task<bool> ReleaseAsync(string service, Guid outboxId, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(HttpMethod.Post, service, $"admin/outbox/parked/{outboxId}/release", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    async Task<T?> SendAsync<T>(HttpMethod method, string service, string path, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(method, service, path, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken);
    }

    async Task<HttpResponseMessage> CallAsync(HttpMethod method, string service, string path, CancellationToken cancellationToken)
    {
        if (!options.Value.Services.TryGetValue(service, out var address))
            throw new KeyNotFoundException($"No service '{service}' under '{OperationsOptions.Section}:Services'.");
        var token = await accessor.HttpContext!.GetTokenAsync("access_token");
        using var request = new HttpRequestMessage(method, new Uri(new Uri(address.ToString().TrimEnd('/') + "/"), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request, cancellationToken);
        // The service refused the operator's token (expired, or without the scope): the page signs in again.
        if (response.StatusCode is HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw new OperatorTokenRefusedException(service);
        }
        return response;
    }
}

/// <summary>A service refused the operator's token: the page answers 401 and the browser signs in again.</summary>
public sealed class OperatorTokenRefusedException(string service) : Exception($"{service} refused the operator's token.");
