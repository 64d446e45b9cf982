using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CampaignFinance.Tests;

public sealed class ThirdPartyTelemetryTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    [Fact]
    public void MassTransit_usage_telemetry_to_the_vendor_is_off()
    {
        // MassTransit 8.5 reports the service's consumers and message types to its vendor unless told not to.
        var options = fixture.App.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(options.Enabled);
    }
}
