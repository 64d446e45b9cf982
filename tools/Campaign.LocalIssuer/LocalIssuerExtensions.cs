using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Campaign.LocalIssuer;

public static class LocalIssuerExtensions
{
    /// <summary>
    /// OpenIddict's server in degraded mode: no database; the clients come from <see cref="IssuerOptions"/>, and the two handlers
    /// below check each token request and sign the token in. Discovery and JWKS are OpenIddict's own.
    /// </summary>
    public static WebApplicationBuilder AddLocalIssuer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(IssuerOptions.Section).Get<IssuerOptions>()
            ?? throw new InvalidOperationException($"Missing settings section '{IssuerOptions.Section}'.");
        var url = options.Url ?? throw new InvalidOperationException("Missing required setting 'Issuer:Url'.");
        var keyFile = options.SigningKeyFile ?? throw new InvalidOperationException("Missing required setting 'Issuer:SigningKeyFile'.");
        if (options.Clients.Count == 0)
            throw new InvalidOperationException("No client is configured under 'Issuer:Clients'.");
        if (options.Clients.FirstOrDefault(c => c.Secret.Length < 16 || c.Secret.StartsWith("change-me", StringComparison.OrdinalIgnoreCase)) is { } weak)
            throw new InvalidOperationException($"The secret of client '{weak.Id}' is empty, short or still .env.example's placeholder: set a real one.");
        if (options.People.FirstOrDefault(p => p.Subject.Length == 0 || p.Password.Length < 16
                || p.Password.StartsWith("change-me", StringComparison.OrdinalIgnoreCase)) is { } careless)
            throw new InvalidOperationException($"Person '{careless.Subject}' under 'Issuer:People' has no subject, or a password that is short or still .env.example's placeholder.");
        builder.Services.AddSingleton(options);

        // Kept for the process's lifetime: the signing key is used by every token.
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(keyFile));
        var clients = options.Clients.ToDictionary(c => c.Id, StringComparer.Ordinal);

        builder.Services.AddOpenIddict().AddServer(server =>
        {
            server.SetIssuer(url);
            server.SetTokenEndpointUris("connect/token");
            server.SetAuthorizationEndpointUris("connect/authorize");
            server.AllowClientCredentialsFlow();
            server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            server.AllowCustomFlow(CampaignScopes.PersonGrant);
            server.RegisterScopes([.. CampaignScopes.Audiences.Keys]);
            server.SetAccessTokenLifetime(options.AccessTokenLifetime);
            server.EnableDegradedMode();

            // Plain JWTs the services validate with JwtBearer. OpenIddict insists on an encryption key even so; nothing encrypted
            // outlives the process, so an ephemeral one does.
            server.DisableAccessTokenEncryption();
            server.AddSigningKey(new RsaSecurityKey(rsa) { KeyId = KeyId(rsa) });
            server.AddEphemeralEncryptionKey();
            server.Configure(o => o.ClientAuthenticationMethods.Remove(ClientAuthenticationMethods.PrivateKeyJwt));

            // Loopback only: the local issuer is plain HTTP (the services' TLS is separate).
            // The authorization endpoint passes through to PeopleSignIn, which signs the person in.
            server.UseAspNetCore().DisableTransportSecurityRequirement().EnableAuthorizationEndpointPassthrough();

            server.AddEventHandler<ValidateAuthorizationRequestContext>(handler => handler.UseInlineHandler(context =>
            {
                ValidateAuthorizationRequest(context, clients);
                return default;
            }));

            server.AddEventHandler<ValidateTokenRequestContext>(handler => handler.UseInlineHandler(context =>
            {
                ValidateClient(context, clients);
                return default;
            }));
            server.AddEventHandler<HandleTokenRequestContext>(handler => handler.UseInlineHandler(context =>
            {
                SignIn(context, clients);
                return default;
            }));
        });

        // A configuration mistake stops the start, not the first token request.
        builder.Services.AddOptions<OpenIddictServerOptions>().ValidateOnStart();
        builder.AddPeopleSignIn();
        return builder;
    }

    /// <summary>Degraded mode has no application store: the client and where it may send the person back are checked here.</summary>
    static void ValidateAuthorizationRequest(ValidateAuthorizationRequestContext context, Dictionary<string, IssuerClient> clients)
    {
        if (context.ClientId is null || !clients.TryGetValue(context.ClientId, out var client) || client.RedirectUris.Count == 0)
        {
            context.Reject(Errors.InvalidClient, "This client may not sign people in.");
            return;
        }
        if (!Uri.TryCreate(context.RedirectUri, UriKind.Absolute, out var redirect) || !client.RedirectUris.Any(allowed => SameRedirect(allowed, redirect)))
        {
            context.Reject(Errors.InvalidRequest, "The redirect_uri is not one registered for this client.");
            return;
        }
        var refused = context.Request.GetScopes().Except([.. client.Scopes, Scopes.OpenId], StringComparer.Ordinal).ToList();
        if (refused.Count > 0)
            context.Reject(Errors.InvalidScope, $"This client may not ask for: {string.Join(' ', refused)}.");
    }

    /// <summary>Equal, or (RFC 8252, 7.3) a registered loopback IP address without a port and the same address on any port.</summary>
    static bool SameRedirect(Uri allowed, Uri redirect) =>
        Uri.Compare(allowed, redirect, UriComponents.AbsoluteUri, UriFormat.UriEscaped, StringComparison.Ordinal) == 0
        || (allowed.IsLoopback && IPAddress.TryParse(allowed.Host, out _) && allowed.IsDefaultPort && redirect.Scheme == allowed.Scheme
            && redirect.Host == allowed.Host && redirect.PathAndQuery == allowed.PathAndQuery);

    static void ValidateClient(ValidateTokenRequestContext context, Dictionary<string, IssuerClient> clients)
    {
        if (context.ClientId is null || !clients.TryGetValue(context.ClientId, out var client)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.ClientSecret ?? ""), Encoding.UTF8.GetBytes(client.Secret)))
        {
            context.Reject(Errors.InvalidClient, "The client id or secret is wrong.");
            return;
        }
        if (context.Request.GrantType == CampaignScopes.PersonGrant && !client.ActsForPeople)
        {
            context.Reject(Errors.UnauthorizedClient, "This client may not ask for tokens on behalf of people.");
            return;
        }
        if (context.Request.IsClientCredentialsGrantType() && client.RedirectUris.Count > 0)
        {
            context.Reject(Errors.UnauthorizedClient, "A client that signs people in gets tokens for them only, not for itself.");
            return;
        }

        // Degraded mode has no permission store: each client's scopes are checked here.
        var refused = context.Request.GetScopes().Except(client.Scopes, StringComparer.Ordinal).ToList();
        if (refused.Count > 0)
            context.Reject(Errors.InvalidScope, $"This client may not ask for: {string.Join(' ', refused)}.");
    }

    static void SignIn(HandleTokenRequestContext context, Dictionary<string, IssuerClient> clients)
    {
        // A code is redeemed by OpenIddict itself: the principal PeopleSignIn signed in comes back from it.
        if (context.Request.IsAuthorizationCodeGrantType())
            return;
        var client = clients[context.Request.ClientId!];
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        if (context.Request.IsClientCredentialsGrantType())
        {
            identity.SetClaim(Claims.Subject, client.Id);
        }
        else if (context.Request.GrantType == CampaignScopes.PersonGrant)
        {
            var subject = (string?)context.Request["subject"];
            if (string.IsNullOrWhiteSpace(subject))
            {
                context.Reject(Errors.InvalidRequest, "Name the person in the 'subject' parameter.");
                return;
            }
            identity.SetClaim(Claims.Subject, subject);
        }
        else
        {
            context.Reject(Errors.UnsupportedGrantType, "Use client_credentials, or the person grant for the operators' tools.");
            return;
        }

        // Without a scope parameter a client gets all of its own.
        var requested = context.Request.GetScopes();
        var scopes = requested.IsEmpty ? [.. client.Scopes] : requested;
        identity.SetClaim(Claims.ClientId, client.Id);
        context.SignIn(new ClaimsPrincipal(identity.WithScopes(scopes)));
    }

    /// <summary>The scopes, the services they are for (audiences), and which claims go into which token.</summary>
    internal static ClaimsIdentity WithScopes(this ClaimsIdentity identity, IEnumerable<string> scopes)
    {
        identity.SetScopes(scopes);
        identity.SetResources(scopes.SelectMany(s => CampaignScopes.Audiences.GetValueOrDefault(s, [])).Distinct(StringComparer.Ordinal));
        // The signed-in person's web application learns who signed in from the identity token; the rest is for the services.
        identity.SetDestinations(static claim => claim.Type is Claims.Subject or Claims.Name
            ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken]);
        return identity;
    }

    /// <summary>A key id derived from the public key, so a rotated key gets a new one.</summary>
    static string KeyId(RSA rsa) => Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
}
