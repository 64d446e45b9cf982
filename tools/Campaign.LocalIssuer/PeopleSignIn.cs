using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Campaign.LocalIssuer;

/// <summary>
/// The issuer's sign-in page for people (the operators, <see cref="IssuerOptions.People"/>) and its authorization endpoint:
/// a web application sends the person here (authorization code flow with PKCE), the person signs in once with a password,
/// and goes back with a code for a token carrying the scopes the person, the application and the request all allow.
/// </summary>
public static class PeopleSignIn
{
    const string Scheme = "people";

    internal static void AddPeopleSignIn(this WebApplicationBuilder builder)
    {
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthentication(Scheme).AddCookie(Scheme, cookie =>
        {
            cookie.LoginPath = "/signin";
            cookie.Cookie.Name = "campaign-issuer";
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
        });
    }

    public static WebApplication MapPeopleSignIn(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAntiforgery();
        var people = app.Services.GetRequiredService<IssuerOptions>().People.ToDictionary(p => p.Subject, StringComparer.Ordinal);

        app.MapGet("/signin", (HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
            Page(http, antiforgery, LocalOnly(returnUrl), error: null));

        app.MapPost("/signin", async (HttpContext http, IAntiforgery antiforgery, [FromForm] string? subject, [FromForm] string? password,
            [FromForm] string? returnUrl) =>
        {
            // Compared in constant time, and the same answer for an unknown name as for a wrong password.
            var person = people.GetValueOrDefault(subject ?? "");
            var given = Encoding.UTF8.GetBytes(password ?? "");
            if (person is null || !CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(person.Password)))
                return Page(http, antiforgery, LocalOnly(returnUrl), "The name or the password is wrong.");
            var identity = new ClaimsIdentity([new Claim(Claims.Subject, person.Subject)], Scheme);
            await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
            return Results.LocalRedirect(LocalOnly(returnUrl));
        });

        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
            var signedIn = await http.AuthenticateAsync(Scheme);
            if (!signedIn.Succeeded || people.GetValueOrDefault(signedIn.Principal.FindFirstValue(Claims.Subject) ?? "") is not { } person)
            {
                var back = http.Request.PathBase + http.Request.Path + QueryString.Create(
                    http.Request.HasFormContentType ? [.. http.Request.Form] : [.. http.Request.Query]);
                return Results.Challenge(new AuthenticationProperties { RedirectUri = back }, [Scheme]);
            }

            // What the application asked for, limited to what this person may do (the client's own limit was checked before).
            var scopes = request.GetScopes().Where(s => s == Scopes.OpenId || person.Scopes.Contains(s, StringComparer.Ordinal)).ToList();
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, person.Subject).SetClaim(Claims.Name, person.Subject).SetClaim(Claims.ClientId, request.ClientId);
            return Results.SignIn(new ClaimsPrincipal(identity.WithScopes(scopes)), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        return app;
    }

    /// <summary>Only back to this issuer's own authorization endpoint: never an open redirect.</summary>
    static string LocalOnly(string? returnUrl) =>
        returnUrl is { } url && url.StartsWith("/connect/authorize?", StringComparison.Ordinal) ? url : "/signin-done";

    static IResult Page(HttpContext http, IAntiforgery antiforgery, string returnUrl, string? error)
    {
        var token = antiforgery.GetAndStoreTokens(http);
        var e = (string? text) => WebUtility.HtmlEncode(text ?? "");
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Campaign sign-in</title>
            <style>body{"{"}font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto{"}"} label,input,button{"{"}display:block;width:100%;margin:.4rem 0{"}"}
            .error{"{"}color:#b00020{"}"}</style></head>
            <body><h1>Campaign sign-in</h1>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{e(error)}</p>")}
            <form method="post" action="/signin">
              <input type="hidden" name="{e(token.FormFieldName)}" value="{e(token.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{e(returnUrl)}">
              <label for="subject">Name</label><input id="subject" name="subject" autocomplete="username" required>
              <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
              <button type="submit">Sign in</button>
            </form></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: error is null ? 200 : 401);
    }
}
