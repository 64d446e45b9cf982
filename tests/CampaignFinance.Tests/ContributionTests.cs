using System.Net;
using System.Net.Http.Json;
using Campaign.Contracts;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using Microsoft.EntityFrameworkCore;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>
/// POST /donors/{id}/contributions: the first contribution secures the donor (DonorSecured, once, even under concurrency),
/// every contribution is ContributionReceived, and the events commit with the rows or not at all.
/// </summary>
public sealed class ContributionTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task A_donors_first_contribution_publishes_DonorSecured_once_and_ContributionReceived()
    {
        var donor = await _client.RegisterDonorAsync(name: "Morgan Ellis");

        var response = await _client.PostAsync($"/donors/{donor.Id}/contributions",
            new { amount = 75.5m, currency = "USD", receivedOn = "2031-06-10", method = "check" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var contribution = (await response.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        Assert.Equal($"/donors/{donor.Id}/contributions/{contribution.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(donor.Id, contribution.DonorId);
        Assert.Equal(75.50m, contribution.Amount);
        Assert.Equal("USD", contribution.Currency);
        Assert.Equal(new DateOnly(2031, 6, 10), contribution.ReceivedOn);
        Assert.Equal(ContributionMethod.Check, contribution.Method);
        var fetched = (await _client.GetFromJsonAsync<ContributionResponse>(response.Headers.Location, Json))!;
        Assert.Equal(contribution with { Adjustments = [] }, fetched with { Adjustments = [] });
        Assert.Empty(fetched.Adjustments);
        Assert.Equal((0.00m, 75.50m, ContributionState.Received), (fetched.Refunded, fetched.Net, fetched.State));

        await _app.WaitForEventsDeliveredAsync();
        var secured = Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id));
        Assert.Equal(new DonorSecured(donor.Id, "Morgan Ellis", donor.Email, 75.50m, "USD", contribution.RecordedAt), secured.Message);
        Assert.Equal(1, _app.SentCount(secured.MessageId));
        var received = Assert.Single(_app.Events<ContributionReceived>(e => e.DonorId == donor.Id));
        Assert.Equal(new ContributionReceived(contribution.Id, donor.Id, 75.50m, "USD", new DateOnly(2031, 6, 10), "check", contribution.RecordedAt),
            received.Message);
        Assert.Equal(1, _app.SentCount(received.MessageId));

        // Both are keyed by the donor: a donor's events reach subscribers in the order they committed.
        Assert.Equal(donor.Id.ToString(), _app.OrderingKey(secured.MessageId));
        Assert.Equal(donor.Id.ToString(), _app.OrderingKey(received.MessageId));

        // Delivered events leave the outbox.
        var rows = await _app.CountRowsAsync();
        Assert.Equal(0, rows.OutboxMessages);
        Assert.Equal(0, rows.OutboxStates);

        var details = (await _client.GetFromJsonAsync<DonorDetails>(new Uri($"/donors/{donor.Id}", UriKind.Relative), Json))!;
        Assert.Equal(contribution.RecordedAt, details.SecuredAt);
    }

    [Fact]
    public async Task A_second_contribution_publishes_ContributionReceived_only()
    {
        var donor = await _client.RegisterDonorAsync();
        var first = (await (await _client.ContributeAsync(donor.Id, 20m)).Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        await _app.WaitForEventsDeliveredAsync();

        var response = await _client.PostAsync($"/donors/{donor.Id}/contributions", Contribution(35m, new DateOnly(2031, 6, 14), "wire"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var second = (await response.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        await _app.WaitForEventsDeliveredAsync();
        var secured = Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id));
        Assert.Equal(20m, secured.Message.Amount);
        var received = _app.Events<ContributionReceived>(e => e.DonorId == donor.Id).Select(e => e.Message).ToList();
        Assert.Equal([first.Id, second.Id], received.Select(e => e.ContributionId).Order());
        Assert.Equal("wire", received.Single(e => e.ContributionId == second.Id).Method);

        var stored = await _app.QueryAsync(db => db.Donors.AsNoTracking().SingleAsync(d => d.Id == donor.Id));
        Assert.Equal(first.RecordedAt, stored.SecuredAt);
    }

    [Fact]
    public async Task Concurrent_first_contributions_publish_DonorSecured_exactly_once()
    {
        const int Contributions = 8;
        var donor = await _client.RegisterDonorAsync();

        var responses = await Task.WhenAll(Enumerable.Range(1, Contributions).Select(i => _client.ContributeAsync(donor.Id, i)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await _app.WaitForEventsDeliveredAsync();
        Assert.Equal(Contributions, _app.Events<ContributionReceived>(e => e.DonorId == donor.Id).Count);
        var secured = Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id));
        Assert.Equal(1, _app.SentCount(secured.MessageId));
        Assert.Equal(Contributions, await _app.QueryAsync(db => db.Contributions.CountAsync(c => c.DonorId == donor.Id)));

        // The contribution that secured the donor is the one DonorSecured names: each posted a different amount (the test's
        // clock is fixed, so every contribution has the same time and the time alone cannot tell them apart).
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<ContributionResponse>(Json)));
        var securing = Assert.Single(bodies, b => b!.Amount == secured.Message.Amount);
        Assert.Equal(securing!.RecordedAt, secured.Message.OccurredAt);
    }

    [Fact]
    public async Task A_failing_save_commits_neither_the_contribution_nor_the_donors_state_nor_the_events()
    {
        var donor = await _client.RegisterDonorAsync();
        await _app.WaitForEventsDeliveredAsync();
        var before = await _app.CountRowsAsync();

        // The database refuses this donor's contributions: SaveChanges fails after both events were published to the outbox.
        await _app.ExecuteSqlAsync($"""
            CREATE FUNCTION refuse_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER refuse_contribution BEFORE INSERT ON "Contributions"
                FOR EACH ROW WHEN (NEW."DonorId" = '{donor.Id}') EXECUTE FUNCTION refuse_contribution();
            """);
        HttpResponseMessage failed;
        try
        {
            failed = await _client.ContributeAsync(donor.Id, 13.13m, idempotencyKey: $"refused-{Guid.NewGuid()}");
        }
        finally
        {
            await _app.ExecuteSqlAsync("""
                DROP TRIGGER refuse_contribution ON "Contributions";
                DROP FUNCTION refuse_contribution();
                """);
        }

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(before, await _app.CountRowsAsync());
        var stored = await _app.QueryAsync(db => db.Donors.AsNoTracking().SingleAsync(d => d.Id == donor.Id));
        Assert.Null(stored.SecuredAt);

        // The next contribution is the donor's first: it secures them, and only its events are ever delivered.
        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 40m)).StatusCode);
        await _app.WaitForEventsDeliveredAsync();
        Assert.Equal(40m, Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id)).Message.Amount);
        Assert.Equal(40m, Assert.Single(_app.Events<ContributionReceived>(e => e.DonorId == donor.Id)).Message.Amount);
    }

    [Fact]
    public async Task The_largest_amount_any_method_and_a_past_date_are_accepted()
    {
        var donor = await _client.RegisterDonorAsync();

        var largest = await _client.PostAsync($"/donors/{donor.Id}/contributions", Contribution(1_000_000m, new DateOnly(2020, 2, 29), "Wire"));
        var cash = await _client.PostAsync($"/donors/{donor.Id}/contributions", Contribution(0.01m, FinanceApp.Today, "cash"));

        Assert.Equal(HttpStatusCode.Created, largest.StatusCode);
        Assert.Equal(HttpStatusCode.Created, cash.StatusCode);
        var body = (await largest.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        Assert.Equal((1_000_000m, new DateOnly(2020, 2, 29), ContributionMethod.Wire), (body.Amount, body.ReceivedOn, body.Method));
        Assert.Contains("\"method\":\"cash\"", await cash.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
