using Campaign.Testing;

namespace Communications.Tests;

/// <summary>Every endpoint of Communications against every kind of caller (see <see cref="AuthorizationMatrix"/>).</summary>
public sealed class AuthorizationTests(CommunicationsFixture fixture) : IClassFixture<CommunicationsFixture>
{
    /// <summary>The scope each endpoint must need (docs/security.md): written out, so a wrong scope fails as surely as none.</summary>
    static readonly Dictionary<string, string> Scopes = new(StringComparer.Ordinal)
    {
        ["GET /messages/"] = "communications.read",
        ["POST /messages/search"] = "communications.read",
        ["GET /messages/{id:guid}"] = "communications.read",
        ["GET /admin/outbox/"] = "outbox.admin",
        ["GET /admin/outbox/parked"] = "outbox.admin",
        ["POST /admin/outbox/parked/{outboxId:guid}/release"] = "outbox.admin",
        ["GET /audit"] = "audit.read",
    };

    [Fact]
    public async Task Every_endpoint_refuses_callers_without_a_valid_token_or_its_scope_and_serves_those_with_it()
    {
        using var client = fixture.App.CreateClient();
        var failures = await AuthorizationMatrix.CheckAsync(fixture.App.Services, client, "communications", Scopes);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
