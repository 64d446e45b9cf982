using System.Net;
using System.Net.Http.Json;
using CampaignFinance.Features.Contributions;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>GET /donors/{id}/contributions and GET /contributions: the ledger, filtered, sorted and paged like every list.</summary>
public sealed class LedgerTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task A_donors_contributions_are_listed_newest_received_first_in_pages()
    {
        var donor = await _client.RegisterDonorAsync();
        var january = await _client.ContributedAsync(donor.Id, 10m, new DateOnly(2031, 1, 5));
        var march = await _client.ContributedAsync(donor.Id, 30m, new DateOnly(2031, 3, 5));
        var february = await _client.ContributedAsync(donor.Id, 20m, new DateOnly(2031, 2, 5));
        await _client.ContributedAsync((await _client.RegisterDonorAsync()).Id, 99m, new DateOnly(2031, 2, 6)); // someone else's

        var first = await PageAsync($"/donors/{donor.Id}/contributions?pageSize=2");
        var second = await PageAsync($"/donors/{donor.Id}/contributions?pageSize=2&page=2");

        Assert.Equal((3, 1, 2), (first.TotalCount, first.Page, first.PageSize));
        Assert.Equal([march.Id, february.Id, january.Id], first.Items.Concat(second.Items).Select(c => c.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(new Uri($"/donors/{Guid.NewGuid()}/contributions", UriKind.Relative))).StatusCode);
        Assert.Equal(["pageSize"], await (await _client.GetAsync(new Uri($"/donors/{donor.Id}/contributions?pageSize=101", UriKind.Relative))).ValidationErrorFieldsAsync());
    }

    [Fact]
    public async Task The_ledger_filters_by_date_amount_method_state_zip_and_employer_and_sorts()
    {
        // Dates of their own (1999 is before any other test's): the filters below see only these.
        var texan = await RegisterAsync("78701-0001", "Lone Star Widgets");
        var other = await RegisterAsync("10001", "Gotham Goods");
        var a = await _client.ContributedAsync(texan.Id, 25m, new DateOnly(1999, 4, 1));
        var b = await Contribute(texan.Id, 500m, new DateOnly(1999, 4, 2), "check");
        var c = await _client.ContributedAsync(other.Id, 75m, new DateOnly(1999, 4, 3));
        var d = await _client.ContributedAsync(other.Id, 60m, new DateOnly(1999, 4, 4));
        Assert.Equal(HttpStatusCode.OK, (await _client.RefundAsync(c, 5m, new DateOnly(1999, 4, 10))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.VoidAsync(d)).StatusCode);
        const string april = "receivedFrom=1999-04-01&receivedTo=1999-04-30";

        Assert.Equal([d.Id, c.Id, b.Id, a.Id], await IdsAsync(april));
        Assert.Equal([a.Id, b.Id, c.Id, d.Id], await IdsAsync($"{april}&sort=receivedOn"));
        Assert.Equal([b.Id, c.Id, d.Id, a.Id], await IdsAsync($"{april}&sort=-amount"));
        Assert.Equal([d.Id, c.Id], await IdsAsync($"{april}&minAmount=60&maxAmount=75"));
        Assert.Equal([b.Id], await IdsAsync($"{april}&method=check"));
        Assert.Equal([c.Id], await IdsAsync($"{april}&state=partially-refunded"));
        Assert.Equal([d.Id], await IdsAsync($"{april}&state=voided"));
        Assert.Equal([b.Id, a.Id], await IdsAsync($"{april}&state=received"));
        Assert.Equal([b.Id, a.Id], await IdsAsync($"{april}&zip=78701"));
        Assert.Equal([d.Id, c.Id], await IdsAsync($"{april}&employer=gotham"));
        Assert.Equal([d.Id, c.Id, b.Id, a.Id], await IdsAsync("receivedFrom=1999-04-01&receivedTo=1999-04-04"));
        Assert.Empty(await IdsAsync("receivedFrom=1999-04-05&receivedTo=1999-04-30"));
    }

    [Theory]
    [InlineData("method=bitcoin", "method")]
    [InlineData("method=2", "method")]
    [InlineData("method=card,check", "method")]
    [InlineData("state=pending", "state")]
    [InlineData("zip=7870", "zip")]
    [InlineData("zip=78701abcde", "zip")]
    [InlineData("sort=name", "sort")]
    [InlineData("receivedFrom=2031-02-01&receivedTo=2031-01-01", "receivedFrom")]
    [InlineData("minAmount=10&maxAmount=5", "minAmount")]
    [InlineData("page=0", "page")]
    public async Task A_bad_filter_is_a_400_naming_it(string query, string field)
    {
        var response = await _client.GetAsync(new Uri($"/contributions?{query}", UriKind.Relative));

        Assert.Equal([field], await response.ValidationErrorFieldsAsync());
    }

    async Task<Features.Donors.DonorResponse> RegisterAsync(string zip, string employer)
    {
        var response = await _client.PostAsync("/donors", new
        {
            name = "Ledger Donor",
            email = NewEmail(),
            address = new { line1 = "1 Congress Ave", city = "Austin", state = "TX", postalCode = zip },
            employer,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Features.Donors.DonorResponse>(Json))!;
    }

    async Task<ContributionResponse> Contribute(Guid donorId, decimal amount, DateOnly receivedOn, string method)
    {
        var response = await _client.PostAsync($"/donors/{donorId}/contributions", Contribution(amount, receivedOn, method));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
    }

    async Task<List<Guid>> IdsAsync(string query) => [.. (await PageAsync($"/contributions?{query}&pageSize=100")).Items.Select(c => c.Id)];

    async Task<ContributionPage> PageAsync(string path)
    {
        var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ContributionPage>(Json))!;
    }
}
