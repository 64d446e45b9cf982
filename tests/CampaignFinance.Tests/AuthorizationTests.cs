using Campaign.Testing;

namespace CampaignFinance.Tests;

/// <summary>Every endpoint of CampaignFinance against every kind of caller (see <see cref="AuthorizationMatrix"/>).</summary>
public sealed class AuthorizationTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    /// <summary>The scope each endpoint must need (docs/security.md): written out, so a wrong scope fails as surely as none.</summary>
    static readonly Dictionary<string, string> Scopes = new(StringComparer.Ordinal)
    {
        ["POST /donors/"] = "finance.write",
        ["GET /donors/"] = "finance.read",
        ["POST /donors/search"] = "finance.read",
        ["GET /donors/{id:guid}"] = "finance.read",
        ["POST /donors/{donorId:guid}/contributions/"] = "finance.write",
        ["GET /donors/{donorId:guid}/contributions/{contributionId:guid}"] = "finance.read",
        ["PATCH /donors/{id:guid}"] = "finance.write",
        ["GET /donors/{donorId:guid}/contributions"] = "finance.read",
        ["GET /contributions"] = "finance.read",
        ["POST /donors/{donorId:guid}/contributions/{contributionId:guid}/refunds"] = "finance.write",
        ["POST /donors/{donorId:guid}/contributions/{contributionId:guid}/void"] = "finance.write",
        ["GET /reports/itemized-contributors"] = "finance.reports",
        ["GET /reports/schedule-a"] = "finance.reports",
        ["GET /admin/outbox/"] = "outbox.admin",
        ["GET /admin/outbox/parked"] = "outbox.admin",
        ["POST /admin/outbox/parked/{outboxId:guid}/release"] = "outbox.admin",
        ["GET /audit"] = "audit.read",
    };

    [Fact]
    public async Task Every_endpoint_refuses_callers_without_a_valid_token_or_its_scope_and_serves_those_with_it()
    {
        using var client = fixture.App.CreateClient();
        var failures = await AuthorizationMatrix.CheckAsync(fixture.App.Services, client, "campaign-finance", Scopes);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
