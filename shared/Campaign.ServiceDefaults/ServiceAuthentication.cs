using System.Security.Claims;
using MassTransit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Campaign.ServiceDefaults;

/// <summary>The identity provider the service trusts. Any OpenID Connect provider will do: it is configuration alone.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The issuer's URL; its discovery document and signing keys are fetched from it (and cached), not per request.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience the service accepts tokens for. Default: the service's name in kebab case (<c>campaign-finance</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>False only for a local issuer on loopback; a real provider is reached over HTTPS.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>
/// Sign-in with OAuth 2.0 bearer tokens (JwtBearer) and authorization by capability: each route group names the scope it needs,
/// and a fallback policy closes every endpoint that names nothing, so an endpoint added later starts closed.
/// </summary>
public static class ServiceAuthentication
{
    /// <summary>The claims a provider may carry a token's capabilities in: OAuth's <c>scope</c>, Entra ID's <c>scp</c> and <c>roles</c>.</summary>
    static readonly string[] ScopeClaims = ["scope", "scp"];

    public static IHostApplicationBuilder AddServiceAuthentication(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<RequiredSettings>(s => s.Keys.Add($"{AuthOptions.Section}:{nameof(AuthOptions.Authority)}"));
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));

        var serviceName = KebabCaseEndpointNameFormatter.Instance.SanitizeName(builder.Environment.ApplicationName);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) =>
            {
                // Read when the first request comes, so test hosts can supply the settings late.
                jwt.Authority = auth.Value.Authority;
                jwt.Audience = auth.Value.Audience ?? serviceName;
                jwt.RequireHttpsMetadata = auth.Value.RequireHttpsMetadata;
                jwt.MapInboundClaims = false; // "sub" stays "sub", as the audit trail records it
                jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(1);
            });

        builder.Services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    /// <summary>
    /// Only callers whose token carries <paramref name="scope"/> (an authenticated caller without it gets 403).
    /// Every such request is recorded in the service's audit trail.
    /// </summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
        builder.Add(Audit.AuditTrail.Audited);
        return builder;
    }

    /// <summary>True when the caller's token carries <paramref name="scope"/>.</summary>
    public static bool HasScope(this ClaimsPrincipal user, string scope)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Claims.Any(claim =>
            (ScopeClaims.Contains(claim.Type) && claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal))
            || (claim.Type == "roles" && claim.Value == scope));
    }

    sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
        {
            if (context.User.HasScope(requirement.Scope))
                context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }
}

/// <summary>The capability an endpoint needs, such as <c>finance.read</c>; the authorization tests read it from each endpoint.</summary>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;
