using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;

namespace Campaign.Testing;

/// <summary>
/// Real access tokens from the local issuer (<c>deploy/local/infra up</c> starts it): the operators' tools client asks on behalf
/// of a test person, with the scopes a test needs. Cached until shortly before they expire.
/// </summary>
public static class TestTokens
{
    /// <summary>The person the tests act as: the <c>sub</c> of every token here.</summary>
    public const string Subject = "campaign-tests";

    /// <summary>Every capability the services know.</summary>
    public static IReadOnlyList<string> AllScopes { get; } =
    [
        "finance.read", "finance.write", "finance.reports", "volunteers.read", "volunteers.write", "calls.assign",
        "communications.read", "outbox.admin", "audit.read",
    ];

    static readonly ConcurrentDictionary<string, (string Token, DateTimeOffset RenewAfter)> Cache = new(StringComparer.Ordinal);
    static readonly HttpClient Issuer = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static Uri IssuerUrl => new(TestInfrastructure.Get("CAMPAIGN_ISSUER_URL"));

    /// <summary>A token for <see cref="Subject"/> with <paramref name="scopes"/> (all of them when none are named).</summary>
    public static async Task<string> ForAsync(params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var scope = string.Join(' ', scopes.Length == 0 ? AllScopes : scopes);
        if (Cache.TryGetValue(scope, out var cached) && cached.RenewAfter > DateTimeOffset.UtcNow)
            return cached.Token;

        using var response = await Issuer.PostAsync(new Uri(IssuerUrl, "connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:campaign:grant-type:person",
            ["client_id"] = "operators-tools",
            ["client_secret"] = TestInfrastructure.Get("CAMPAIGN_OPERATORS_TOOLS_SECRET"),
            ["subject"] = Subject,
            ["scope"] = scope,
        })).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"The local issuer at {IssuerUrl} refused a token for '{scope}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
        var token = (await response.Content.ReadFromJsonAsync<TokenResponse>().ConfigureAwait(false))!;
        Cache[scope] = (token.AccessToken, DateTimeOffset.UtcNow.AddSeconds(token.ExpiresIn * 0.8));
        return token.AccessToken;
    }

    /// <summary>Sets a token with <paramref name="scopes"/> (all when none) as the client's default Authorization header.</summary>
    public static HttpClient Authorize(this HttpClient client, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Task.Run(() => ForAsync(scopes)).GetAwaiter().GetResult());
        return client;
    }

    /// <summary>The service trusts the local issuer (the in-process test hosts).</summary>
    public static IWebHostBuilder UseLocalIssuer(this IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseSetting("Auth:Authority", IssuerUrl.ToString()).UseSetting("Auth:RequireHttpsMetadata", "false");
    }

    /// <summary>
    /// Adds a token with every scope to each request that has none, fetched per request from the cache: a client that lives
    /// longer than a token (a soak) keeps working.
    /// </summary>
    public sealed class Handler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            request.Headers.Authorization ??= new AuthenticationHeaderValue("Bearer", await ForAsync().ConfigureAwait(false));
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
