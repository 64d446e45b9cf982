using System.Security.Claims;
using Campaign.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Operations;

/// <summary>
/// People sign in at the campaign's identity provider (OpenID Connect, authorization code flow with PKCE); the page keeps
/// the session in a cookie, with the operator's access token, which it sends to the services: each service checks the
/// operator's <c>outbox.admin</c> scope itself and records the operator in its audit trail.
/// </summary>
public static class OperatorSignIn
{
    public const string Scope = "outbox.admin";
    public const string Policy = "operator";
    const string CookieOrBearer = "cookie-or-bearer";

    public static void AddOperatorSignIn(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<RequiredSettings>(s => s.Keys.Add($"{OperationsOptions.Section}:{nameof(OperationsOptions.ClientSecret)}"));
        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieOrBearer;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            // A browser has the session cookie; tools/error-queues sends the operator's bearer token (audience "operations").
            .AddPolicyScheme(CookieOrBearer, null, policy => policy.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "campaign-operations";
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // Signed in without the operators' scope: a plain 403, not a redirect to a page that does not exist.
                cookie.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            .AddOpenIdConnect();
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, IOptions<OperationsOptions>>((oidc, auth, operations) =>
            {
                oidc.Authority = auth.Value.Authority;
                oidc.RequireHttpsMetadata = auth.Value.RequireHttpsMetadata;
                oidc.ClientId = operations.Value.ClientId;
                oidc.ClientSecret = operations.Value.ClientSecret;
                oidc.ResponseType = "code";
                oidc.UsePkce = true;
                oidc.Scope.Clear();
                oidc.Scope.Add("openid");
                oidc.Scope.Add(Scope);
                oidc.SaveTokens = true; // the access token goes with each call to a service
                oidc.UseTokenLifetime = true; // the session ends with the token, and the provider signs the person in again
                oidc.MapInboundClaims = false;
                oidc.TokenValidationParameters.NameClaimType = "name";
                oidc.Events.OnRedirectToIdentityProvider = context =>
                {
                    // The page's own calls get 401 and reload the page; only a page load goes to the sign-in.
                    if (context.Request.Path.StartsWithSegments("/api"))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.HandleResponse();
                    }
                    else if (operations.Value.SignInAuthority is { } browsers)
                    {
                        var endpoint = new UriBuilder(context.ProtocolMessage.IssuerAddress) { Scheme = browsers.Scheme, Host = browsers.Host, Port = browsers.Port };
                        context.ProtocolMessage.IssuerAddress = endpoint.Uri.ToString();
                    }
                    return Task.CompletedTask;
                };
                oidc.Events.OnTokenValidated = context =>
                {
                    // What the provider granted (it may be less than asked for): the page shows nothing without the operators' scope.
                    if (context.TokenEndpointResponse?.Scope is { Length: > 0 } granted)
                        ((ClaimsIdentity)context.Principal!.Identity!).AddClaim(new Claim("scope", granted));
                    return Task.CompletedTask;
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.HasScope(Scope)));
    }
}
