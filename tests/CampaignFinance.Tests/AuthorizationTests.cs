using Campaign.Testing;

namespace CampaignFinance.Tests;

/// <summary>Every endpoint of CampaignFinance against every kind of caller (see <see cref="AuthorizationMatrix"/>).</summary>
public sealed class AuthorizationTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    [Fact]
    public async Task Every_endpoint_refuses_callers_without_a_valid_token_or_its_scope_and_serves_those_with_it()
    {
        using var client = fixture.App.CreateClient();
        var failures = await AuthorizationMatrix.CheckAsync(fixture.App.Services, client, "campaign-finance");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
