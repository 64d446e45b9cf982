using System.Net;
using Campaign.SystemTesting;
using Campaign.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Campaign.EndToEndTests;

/// <summary>
/// The operators' page (services/Operations) in headless Chromium, signed in at the token issuer as an operator: a unit of
/// work the broker refuses is parked, shows on the page with its error, and once the cause is fixed the Release button
/// sends it on; an error queue's faults show, and Redrive moves its messages back.
/// </summary>
[Trait("Category", "Faults")]
public sealed class OperationsPageTests(OperationsPageTests.OperationsSystem running, ITestOutputHelper output)
    : IClassFixture<OperationsPageTests.OperationsSystem>
{
    static readonly TimeSpan Flow = TimeSpan.FromSeconds(120); // parking takes five refused attempts with back-off: ~15 s

    [Fact]
    public async Task Without_a_session_the_page_sends_people_to_sign_in_and_its_data_answers_401()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = running.Page.BaseAddress };
        using var page = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith(TestTokens.IssuerUrl.ToString() + "connect/authorize?", page.Headers.Location?.ToString(), StringComparison.Ordinal);
        using var data = await http.GetAsync(new Uri("/api/overview", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
    }

    [Fact]
    public async Task A_parked_unit_of_work_shows_on_the_page_and_its_release_button_delivers_it()
    {
        var system = running.System;
        var registered = await system.RegisterDonorAsync("Parked Donor", $"parked-{Guid.NewGuid():N}@{system.RunId}.e2e.example");
        Assert.True(registered.Status == HttpStatusCode.Created, $"POST /donors answered {registered.Status}: {registered.Body}");
        var donor = registered.Id!.Value;

        // The broker refuses CampaignFinance's DonorSecured (its permission taken away, as a botched deploy would): the
        // contribution's unit of work is parked after its attempts, and nothing reaches VolunteerCoordinator.
        Guid outboxId;
        await using (await system.RabbitMq.RefuseWritesAsync("campaign-finance", "Campaign.Contracts:DonorSecured"))
        {
            Assert.Equal(HttpStatusCode.Created, (await system.RecordContributionAsync(donor, 75m)).Status);
            outboxId = await Eventually.Until<Guid?>(async () => await ParkedUnitOfAsync(donor), id => id is not null,
                "the contribution's unit of work is parked after the broker refused its DonorSecured", Flow) ?? Guid.Empty;
        }
        Assert.Equal(0, await SystemDatabases.ThankYouCallsAsync(donor));
        try
        {
            await ReleaseOnThePageAsync(donor, outboxId);
        }
        finally
        {
            // A failure above must not leave the unit parked in the shared database for later runs (no-op once released).
            using var _ = await system.Finance.Client.PostAsync(new Uri($"/admin/outbox/parked/{outboxId}/release", UriKind.Relative), null);
        }
    }

    async Task ReleaseOnThePageAsync(Guid donor, Guid outboxId)
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.SignedInPageAsync(running.Page.BaseAddress);
        var card = page.Locator("section[data-service=CampaignFinance]");
        var row = card.Locator($"table.parked tr[data-outbox-id='{outboxId}']");
        await Expect(row, "the parked unit of work is on the page", r => r.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 }));
        var error = await row.Locator("td.error").InnerTextAsync();
        Assert.Contains("DonorSecured", error, StringComparison.Ordinal);
        // The figures are the relay's last measure (every 5 s); the list is read when the page asks: the count follows.
        await Eventually.Until(() => card.Locator(".parked-count").InnerTextAsync(), count => count != "0",
            "the page's parked count includes the parked unit", TimeSpan.FromSeconds(30));
        output.WriteLine($"parked row: {await row.InnerTextAsync()}");
        await Screenshot(page, "operations-page-parked.png");

        // The permission is back; the operator releases the unit of work: delivered, the thank-you call is made.
        await row.Locator("button", new LocatorLocatorOptions { HasText = "Release" }).ClickAsync();
        await Eventually.Until(() => SystemDatabases.ThankYouCallsAsync(donor), calls => calls == 1,
            "the released DonorSecured reaches VolunteerCoordinator, which makes the thank-you call", Flow);
        await Expect(row, "the released unit of work leaves the page", r => r.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached, Timeout = 30_000 }));
        Assert.Null(await ParkedUnitOfAsync(donor));
        // The page reads the figures every 5 s: the delivery shows in the lag chart's summary by the next read or so.
        await Expect(card.Locator(".lag-summary", new LocatorLocatorOptions { HasText = "delivered in the hour" }),
            "the lag chart counts the delivery", l => l.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 }));
        Assert.Contains("Released", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        await Screenshot(page, "operations-page.png");
    }

    [Fact]
    public async Task An_error_queue_shows_its_faults_and_the_redrive_button_moves_its_messages_back()
    {
        var system = running.System;
        var queue = $"communications-operations-check-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            await system.RabbitMq.DeclareQueueAsync(queue);
            await system.RabbitMq.DeclareQueueAsync(queue + "_error");
            await system.RabbitMq.PublishToQueueAsync(queue + "_error", """{"message":{}}""", Guid.NewGuid().ToString(), new Dictionary<string, object>
            {
                ["MT-Fault-ExceptionType"] = "System.InvalidOperationException",
                ["MT-Fault-Message"] = "The mail server refused the message",
                ["MT-Fault-Timestamp"] = DateTime.UtcNow.ToString("O"),
            });

            await using var browser = await Browser.LaunchAsync();
            var page = await browser.SignedInPageAsync(running.Page.BaseAddress);
            var row = page.Locator($"section[data-service=Communications] table.error-queues tr[data-queue='{queue}_error']");
            // The broker counts its queues every few seconds; the page reads them every five.
            await Expect(row.Locator("button", new LocatorLocatorOptions { HasText = "Show faults" }), "the error queue shows with its message",
                b => b.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 }));
            await row.Locator("button", new LocatorLocatorOptions { HasText = "Show faults" }).ClickAsync();
            await Expect(row.Locator("ul.faults", new LocatorLocatorOptions { HasText = "The mail server refused the message" }),
                "the fault headers of the first message show", l => l.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 }));

            await row.Locator("button", new LocatorLocatorOptions { HasText = "Redrive" }).ClickAsync();
            await Expect(page.Locator("#status", new PageLocatorOptions { HasText = $"Moved 1 from {queue}_error" }), "the page reports the redrive",
                l => l.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 }));
            await Eventually.Until(async () => ((await system.RabbitMq.QueueAsync(queue))?.Messages, (await system.RabbitMq.QueueAsync(queue + "_error"))?.Messages),
                depths => depths == (1, 0), "the message is back on its queue and gone from the error queue", Flow);
        }
        finally
        {
            await system.RabbitMq.DeleteQueueAndExchangeAsync(queue);
            await system.RabbitMq.DeleteQueueAndExchangeAsync(queue + "_error");
        }
    }

    /// <summary>The parked unit of work whose DonorSecured names the donor, if any.</summary>
    static async Task<Guid?> ParkedUnitOfAsync(Guid donor) =>
        await SystemDatabases.ScalarAsync<string?>(Service.CampaignFinance, """
            SELECT s."OutboxId"::text FROM "OutboxState" s JOIN "OutboxMessage" m ON m."OutboxId" = s."OutboxId"
            WHERE s."Parked" IS NOT NULL AND m."MessageType" LIKE '%DonorSecured%' AND m."Body" LIKE '%' || $1 || '%' LIMIT 1
            """, donor.ToString()) is { } id ? Guid.Parse(id) : null;

    /// <summary>A Playwright wait, which times out with the page's text in the message (what did it show instead?).</summary>
    static async Task Expect(ILocator locator, string what, Func<ILocator, Task> wait)
    {
        try
        {
            await wait(locator);
        }
        catch (TimeoutException e)
        {
            var body = await locator.Page.InnerTextAsync("body");
            throw new TimeoutException($"Timed out waiting until {what}. The page showed:\n{body[..Math.Min(body.Length, 3000)]}", e);
        }
    }

    static async Task Screenshot(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("CAMPAIGN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name), FullPage = true });
    }

    /// <summary>The three services and the operators' page over them.</summary>
    public sealed class OperationsSystem : IAsyncLifetime
    {
        public CampaignSystem System { get; private set; } = null!;

        public ServiceProcess Page => System.OperationsPage!;

        public async Task InitializeAsync()
        {
            System = await CampaignSystem.StartAsync();
            await System.StartOperationsPageAsync();
        }

        public async Task DisposeAsync()
        {
            if (System is not null)
                await System.DisposeAsync();
        }
    }
}
