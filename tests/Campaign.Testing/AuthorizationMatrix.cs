using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Campaign.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Campaign.Testing;

/// <summary>
/// Every endpoint of a service, read from its endpoint data source, against every kind of caller: none, a hostile token
/// (expired, for another audience, from another issuer, tampered, unsigned, signed by another key), a valid token without the
/// endpoint's scope, and one with it. An endpoint added without a scope fails here.
/// </summary>
public static class AuthorizationMatrix
{
    /// <summary>Paths that answer anyone: the orchestrator's probes, and the API description in Development.</summary>
    static readonly string[] OpenPaths = ["/health/live", "/health/ready", "/openapi", "/scalar"];

    /// <summary>The endpoints of the service and the scope each needs (null: none named).</summary>
    public static IReadOnlyList<(RouteEndpoint Endpoint, string Method, string? Scope, bool Anonymous)> Endpoints(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (
                endpoint,
                method,
                endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>().SelectMany(p => p.Requirements).OfType<ScopeRequirement>()
                    .Select(r => r.Scope).FirstOrDefault(),
                endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)))];
    }

    /// <summary>
    /// Every failure found, one line each; empty when every endpoint needs the scope <paramref name="expected"/> names for it
    /// ("METHOD /route/{pattern}") and answers every caller as it must. An endpoint the table does not name fails too.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(IServiceProvider services, HttpClient client, string audience,
        IReadOnlyDictionary<string, string> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(client);
        client.DefaultRequestHeaders.Authorization = null;
        var failures = new List<string>();
        var hostile = HostileTokens(audience);
        var endpoints = Endpoints(services);
        if (endpoints.Count(e => !e.Anonymous) < 2)
            failures.Add($"only {endpoints.Count} endpoints were found: the data source is not the service's");

        foreach (var (endpoint, method, scope, anonymous) in endpoints)
        {
            var path = Path(endpoint);
            var name = $"{method} {endpoint.RoutePattern.RawText}";
            if (anonymous)
            {
                if (!OpenPaths.Any(open => path.StartsWith(open, StringComparison.Ordinal)))
                    failures.Add($"{name} answers anonymous callers");
                continue;
            }
            if (scope is null)
            {
                failures.Add($"{name} names no scope (RequireScope): any signed-in caller may use it");
                continue;
            }
            if (!expected.TryGetValue(name, out var wanted))
                failures.Add($"{name} needs {scope}, but the test's table does not name it: add it with the scope it should need");
            else if (wanted != scope)
                failures.Add($"{name} needs {scope}, but should need {wanted}");

            await ExpectAsync(null, HttpStatusCode.Unauthorized, "no token");
            foreach (var (kind, token) in hostile)
                await ExpectAsync(token, HttpStatusCode.Unauthorized, kind);
            await ExpectAsync(await TestTokens.ForAsync([.. TestTokens.AllScopes.Where(s => s != scope)]), HttpStatusCode.Forbidden,
                $"every scope but {scope}");

            var status = await SendAsync(client, method, path, await TestTokens.ForAsync(scope));
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                failures.Add($"{name} with a token holding {scope}: {(int)status}, expected it to be let through");

            // The same token, made here with the issuer's key, is let through too: the hostile ones above fail for their flaw alone.
            status = await SendAsync(client, method, path, Sign(audience, scope));
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                failures.Add($"{name} with a well-formed token made with the issuer's key: {(int)status}");

            async Task ExpectAsync(string? token, HttpStatusCode expected, string caller)
            {
                var answered = await SendAsync(client, method, path, token);
                if (answered != expected)
                    failures.Add($"{name} with {caller}: {(int)answered}, expected {(int)expected}");
            }
        }
        return failures;
    }

    static async Task<HttpStatusCode> SendAsync(HttpClient client, string method, string path, string? token)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (method is "POST" or "PUT" or "PATCH")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>The route with a new id in each parameter (every route parameter of the services is a guid).</summary>
    static string Path(RouteEndpoint endpoint) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart => Guid.NewGuid().ToString(),
            _ => "",
        }))));

    static readonly Lazy<RSA> IssuerKey = new(() =>
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(TestInfrastructure.Get("CAMPAIGN_ISSUER_SIGNING_KEY_FILE")));
        return rsa;
    });

    static readonly Lazy<RSA> Stranger = new(() => RSA.Create(2048));

    /// <summary>Tokens that must be refused whatever they claim: each is a valid token but for one flaw.</summary>
    public static IReadOnlyList<(string Kind, string Token)> HostileTokens(string audience)
    {
        var allScopes = string.Join(' ', TestTokens.AllScopes);
        var valid = Sign(audience, allScopes);
        var parts = valid.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var widened = Base64UrlEncoder.Encode(payload.Replace(TestTokens.Subject, "someone-else", StringComparison.Ordinal));
        return
        [
            ("an expired token", Sign(audience, allScopes, expires: DateTime.UtcNow.AddHours(-1))),
            ("a token for another audience", Sign("another-api", allScopes)),
            ("a token from another issuer", Sign(audience, allScopes, issuer: "http://127.0.0.1:1/")),
            ("a tampered token (payload changed after signing)", $"{parts[0]}.{widened}.{parts[2]}"),
            ("an unsigned token (alg: none)", $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""")}.{parts[1]}."),
            ("a token signed by another key under the issuer's key id", Sign(audience, allScopes, key: Stranger.Value)),
            ("a malformed token", "not-a-jwt"),
        ];
    }

    /// <summary>A token like the issuer's, signed with its key (or <paramref name="key"/>), with the given flaws.</summary>
    static string Sign(string audience, string scope, DateTime? expires = null, string? issuer = null, RSA? key = null)
    {
        // The issuer names its key by a hash of the public key; a stranger's key claims the same id.
        var keyId = Convert.ToHexStringLower(SHA256.HashData(IssuerKey.Value.ExportSubjectPublicKeyInfo()))[..16];
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(30);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? TestTokens.IssuerUrl.ToString(),
            Audience = audience,
            IssuedAt = expiry.AddMinutes(-30),
            NotBefore = expiry.AddMinutes(-30),
            Expires = expiry,
            TokenType = "at+jwt",
            Subject = new ClaimsIdentity([new Claim("sub", TestTokens.Subject), new Claim("scope", scope), new Claim("client_id", "operators-tools")]),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? IssuerKey.Value) { KeyId = keyId }, SecurityAlgorithms.RsaSha256)
            {
                // Two keys share one id here: a cached signer of one must not sign for the other.
                CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
            },
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
