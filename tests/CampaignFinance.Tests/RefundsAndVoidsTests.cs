using System.Net;
using System.Net.Http.Json;
using Campaign.Contracts;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using Microsoft.EntityFrameworkCore;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>Refunds and voids: ledger entries of their own, published through the outbox, refused when the ledger does not allow them.</summary>
public sealed class RefundsAndVoidsTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    static readonly DateOnly March = new(2031, 3, 1);
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task Partial_refunds_then_the_rest_leave_the_contribution_as_recorded_and_change_the_totals()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 250m, March);

        var first = await Read(await _client.RefundAsync(gift, 100m, March.AddDays(3)));
        Assert.Equal((250.00m, 100.00m, 150.00m, ContributionState.PartiallyRefunded), (first.Amount, first.Refunded, first.Net, first.State));
        var rest = await Read(await _client.RefundAsync(gift, null, March.AddDays(9), "Closed the card"));
        Assert.Equal((250.00m, 250.00m, 0.00m, ContributionState.Refunded), (rest.Amount, rest.Refunded, rest.Net, rest.State));
        Assert.Equal([(AdjustmentKind.Refund, 100.00m, March.AddDays(3)), (AdjustmentKind.Refund, 150.00m, March.AddDays(9))],
            rest.Adjustments.Select(a => (a.Kind, a.Amount, a.EffectiveOn)));

        var stored = await _app.QueryAsync(db => db.Contributions.AsNoTracking().SingleAsync(c => c.Id == gift.Id));
        Assert.Equal((250.00m, March), (stored.Amount, stored.ReceivedOn)); // never edited
        var totals = (await _client.GetFromJsonAsync<DonorDetails>(new Uri($"/donors/{donor.Id}", UriKind.Relative), Json))!.Totals.Single();
        Assert.Equal((0.00m, 0.00m), (totals.Lifetime, totals.YearToDate));

        await _app.WaitForEventsDeliveredAsync();
        var refunds = _app.Events<ContributionRefunded>(e => e.ContributionId == gift.Id).Select(e => e.Message).OrderBy(e => e.RefundedOn).ToList();
        Assert.Equal([(100.00m, 150.00m), (150.00m, 0.00m)], refunds.Select(r => (r.Amount, r.RemainingAmount)));
        Assert.All(refunds, r => Assert.Equal((donor.Id, "USD"), (r.DonorId, r.Currency)));
    }

    [Fact]
    public async Task Refunding_more_than_is_left_or_twice_is_422_and_changes_nothing()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 80m, March);

        var tooMuch = await (await _client.RefundAsync(gift, 80.01m, March)).RuleBrokenAsync();
        Assert.Equal("The refund is more than is left of the contribution.", tooMuch.Title);
        Assert.Equal(["amount"], tooMuch.Fields);
        Assert.Equal(HttpStatusCode.OK, (await _client.RefundAsync(gift, null, March)).StatusCode);
        var twice = await (await _client.RefundAsync(gift, null, March)).RuleBrokenAsync();
        Assert.Equal("The refund is more than is left of the contribution.", twice.Title);
        var again = await (await _client.RefundAsync(gift, 1m, March)).RuleBrokenAsync();
        Assert.Equal(["amount"], again.Fields);

        Assert.Equal(1, await _app.QueryAsync(db => db.ContributionAdjustments.CountAsync(a => a.ContributionId == gift.Id)));
    }

    [Fact]
    public async Task A_void_takes_the_whole_contribution_out_once_and_then_nothing_more_can_be_refunded()
    {
        var donor = await _client.RegisterDonorAsync();
        var kept = await _client.ContributedAsync(donor.Id, 40m, March);
        var mistake = await _client.ContributedAsync(donor.Id, 400m, March);

        var voided = await Read(await _client.VoidAsync(mistake));
        Assert.Equal((ContributionState.Voided, 0.00m, AdjustmentKind.Void), (voided.State, voided.Net, voided.Adjustments.Single().Kind));
        Assert.Equal("The contribution is voided already.", (await (await _client.VoidAsync(mistake)).RuleBrokenAsync()).Title);
        Assert.Equal("A voided contribution cannot be refunded.", (await (await _client.RefundAsync(mistake, 1m, March)).RuleBrokenAsync()).Title);

        var totals = (await _client.GetFromJsonAsync<DonorDetails>(new Uri($"/donors/{donor.Id}", UriKind.Relative), Json))!.Totals.Single();
        Assert.Equal(40.00m, totals.Lifetime);
        Assert.Equal(ContributionState.Received, (await Read(await _client.GetAsync(new Uri($"/donors/{donor.Id}/contributions/{kept.Id}", UriKind.Relative)))).State);

        await _app.WaitForEventsDeliveredAsync();
        var voidedEvent = Assert.Single(_app.Events<ContributionVoided>(e => e.ContributionId == mistake.Id)).Message;
        Assert.Equal((donor.Id, 400.00m), (voidedEvent.DonorId, voidedEvent.Amount));
    }

    [Fact]
    public async Task A_contribution_with_refunds_cannot_be_voided()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 90m, March);
        Assert.Equal(HttpStatusCode.OK, (await _client.RefundAsync(gift, 10m, March)).StatusCode);

        var refused = await (await _client.VoidAsync(gift)).RuleBrokenAsync();

        Assert.Equal("A contribution with refunds cannot be voided.", refused.Title);
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_unknown_contributions_are_404()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 90m, March);

        Assert.Equal(["amount"], await (await _client.RefundAsync(gift, 0m, March)).ValidationErrorFieldsAsync());
        Assert.Equal(["amount"], await (await _client.RefundAsync(gift, 1.005m, March)).ValidationErrorFieldsAsync());
        Assert.Equal(["refundedOn"], await (await _client.RefundAsync(gift, 1m, FinanceApp.Today.AddDays(1))).ValidationErrorFieldsAsync());
        Assert.Equal(["reason"], await (await _client.RefundAsync(gift, 1m, March, " ")).ValidationErrorFieldsAsync());
        Assert.Equal(["refundedOn"], (await (await _client.RefundAsync(gift, 1m, March.AddDays(-1))).RuleBrokenAsync()).Fields);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.RefundAsync(gift with { Id = Guid.NewGuid() }, 1m, March)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.VoidAsync(gift with { DonorId = Guid.NewGuid() })).StatusCode);
        Assert.Equal(0, await _app.QueryAsync(db => db.ContributionAdjustments.CountAsync(a => a.ContributionId == gift.Id)));
    }

    [Fact]
    public async Task A_retried_refund_with_its_idempotency_key_refunds_once()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 90m, March);
        var key = Guid.NewGuid().ToString();

        var first = await _client.RefundAsync(gift, 30m, March, idempotencyKey: key);
        var retry = await _client.RefundAsync(gift, 30m, March, idempotencyKey: key);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, retry.StatusCode));
        Assert.Equal(30.00m, (await Read(retry)).Refunded);
        Assert.Equal(1, await _app.QueryAsync(db => db.ContributionAdjustments.CountAsync(a => a.ContributionId == gift.Id)));
    }

    [Fact]
    public async Task Concurrent_full_refunds_of_one_contribution_refund_it_once()
    {
        var donor = await _client.RegisterDonorAsync();
        var gift = await _client.ContributedAsync(donor.Id, 75m, March);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _client.RefundAsync(gift, null, March)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.UnprocessableEntity, a.StatusCode));
        Assert.Equal(75.00m, await _app.QueryAsync(db => db.ContributionAdjustments.Where(a => a.ContributionId == gift.Id).SumAsync(a => a.Amount)));
    }

    static async Task<ContributionResponse> Read(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
    }
}
