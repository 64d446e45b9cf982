using System.Net;
using Campaign.SystemTesting;
using Campaign.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Campaign.EndToEndTests;

/// <summary>
/// The telemetry dashboard deploy/local/infra starts (the .NET Aspire dashboard), opened in headless Chromium: one
/// contribution's trace shows the HTTP request, the outbox relay's send and both consumers, across the three services.
/// </summary>
[Trait("Category", "Faults")]
public sealed class TelemetryDashboardTests(TelemetryDashboardTests.DashboardSystem running, ITestOutputHelper output)
    : IClassFixture<TelemetryDashboardTests.DashboardSystem>
{
    static readonly TimeSpan Flow = TimeSpan.FromSeconds(90); // generous: a shared CI machine may be very busy

    [Fact]
    public async Task One_trace_in_the_dashboard_spans_the_request_the_outbox_relay_and_both_consumers()
    {
        var system = running.System;
        var registered = await system.RegisterDonorAsync("Dashboard Donor", $"dashboard-{Guid.NewGuid():N}@{system.RunId}.e2e.example");
        Assert.True(registered.Status == HttpStatusCode.Created, $"POST /donors answered {registered.Status}: {registered.Body}");
        var donor = registered.Id!.Value;
        var (traceparent, traceId) = CampaignApi.NewTrace();
        Assert.Equal(HttpStatusCode.Created, (await system.RecordContributionAsync(donor, 60m, traceparent: traceparent)).Status);
        await Eventually.Until(async () => await SystemDatabases.ThankYouCallsAsync(donor) == 1, "the donor's thank-you call is created", Flow);

        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync();
        var detail = new Uri(new Uri(TestInfrastructure.Get("CAMPAIGN_DASHBOARD_URL")), $"traces/detail/{traceId}");

        // The consumers' spans arrive within the exporter's batch interval (5 s): look again until all are there.
        string[] expected = ["POST /donors/{donorId:guid}/contributions", "rabbitmq send Campaign.Contracts:DonorSecured",
            "volunteer-coordinator-donor-secured receive", "communications-donor-secured receive"];
        var text = await Eventually.Until(async () =>
        {
            await page.GotoAsync(detail.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
            // The page is rendered by the server over a live connection after it loads: wait for the span list.
            await page.WaitForSelectorAsync("text=rabbitmq send", new PageWaitForSelectorOptions { Timeout = 10_000, State = WaitForSelectorState.Attached })
                .ContinueWith(_ => { }, TaskScheduler.Default);
            return await page.InnerTextAsync("body");
        }, body => expected.All(e => body.Contains(e, StringComparison.Ordinal)),
            $"the trace page shows {string.Join(", ", expected)}", Flow);
        output.WriteLine(text.Length > 2000 ? text[..2000] : text);

        if (Environment.GetEnvironmentVariable("CAMPAIGN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "dashboard-trace.png"), FullPage = false });
    }

    /// <summary>The three services, exporting their telemetry to the dashboard.</summary>
    public sealed class DashboardSystem : IAsyncLifetime
    {
        public CampaignSystem System { get; private set; } = null!;

        public async Task InitializeAsync() => System = await CampaignSystem.StartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = TestInfrastructure.Get("CAMPAIGN_DASHBOARD_OTLP"),
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500", // spans leave within half a second instead of five
        });

        public async Task DisposeAsync()
        {
            if (System is not null)
                await System.DisposeAsync();
        }
    }
}
