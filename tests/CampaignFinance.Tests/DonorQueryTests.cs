using System.Text.Json;
using System.Net;
using System.Net.Http.Json;
using Campaign.Testing;
using CampaignFinance.Features.Donors;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>GET /donors/{id} with totals, GET /donors filtered and paged, and the other read-only endpoints.</summary>
public sealed class DonorQueryTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task A_donor_shows_lifetime_and_year_to_date_totals_by_the_clocks_year()
    {
        var donor = await _client.RegisterDonorAsync();
        foreach (var (amount, day) in new[] { (100m, new DateOnly(2030, 12, 31)), (25.5m, new DateOnly(2031, 1, 1)), (10m, FinanceApp.Today) })
            Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, amount, day)).StatusCode);

        var details = (await _client.GetFromJsonAsync<DonorDetails>(new Uri($"/donors/{donor.Id}", UriKind.Relative), Json))!;

        Assert.Equal(donor.Id, details.Id);
        Assert.Equal(donor.Email, details.Email);
        Assert.Equal(FinanceApp.Today, details.AsOf);
        Assert.Equal([new DonorTotal("USD", 135.50m, 35.50m)], details.Totals);
        Assert.NotNull(details.SecuredAt);
    }

    [Fact]
    public async Task A_donor_who_has_given_nothing_shows_zero_totals_in_USD()
    {
        var donor = await _client.RegisterDonorAsync();
        var details = (await _client.GetFromJsonAsync<DonorDetails>(new Uri($"/donors/{donor.Id}", UriKind.Relative), Json))!;
        Assert.Equal([new DonorTotal("USD", 0m, 0m)], details.Totals);
        Assert.Null(details.SecuredAt);
    }

    [Fact]
    public async Task Listing_by_name_matches_a_part_of_the_name_in_any_case_and_literally()
    {
        var token = Guid.NewGuid().ToString("N")[..12];
        var alex = await _client.RegisterDonorAsync(name: $"Alex {token} Morgan");
        var alexis = await _client.RegisterDonorAsync(name: $"ALEX {token.ToUpperInvariant()} RIVERA");
        var sam = await _client.RegisterDonorAsync(name: $"Sam {token}_x");

        Assert.Equal([alex.Id, alexis.Id, sam.Id], (await ListAsync($"name={token.ToUpperInvariant()}")).Items.Select(d => d.Id));
        Assert.Equal([alex.Id, alexis.Id], (await ListAsync($"name=alex%20{token}")).Items.Select(d => d.Id));
        Assert.Equal([sam.Id], (await ListAsync($"name={token}_")).Items.Select(d => d.Id));

        // % and _ are not wildcards.
        Assert.Empty((await ListAsync($"name=alex%25{token}")).Items);
        Assert.Empty((await ListAsync($"name={token}__")).Items);
    }

    [Fact]
    public async Task Listing_by_email_matches_the_whole_address_in_any_case()
    {
        var email = NewEmail();
        var donor = await _client.RegisterDonorAsync(email);

        var page = await ListAsync($"email={Uri.EscapeDataString(email.ToUpperInvariant())}");
        Assert.Equal(1, page.TotalCount);
        Assert.Equal(donor.Id, Assert.Single(page.Items).Id);

        Assert.Equal(0, (await ListAsync($"email={Uri.EscapeDataString(email[..^4])}")).TotalCount);
    }

    [Fact]
    public async Task Listing_pages_in_registration_order_with_the_total_count()
    {
        var token = Guid.NewGuid().ToString("N");
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
            ids.Add((await _client.RegisterDonorAsync(name: $"Pat {i} {token}")).Id);

        var third = await ListAsync($"name={token}&page=3&pageSize=2");
        Assert.Equal((3, 2, 5), (third.Page, third.PageSize, third.TotalCount));
        Assert.Equal([ids[4]], third.Items.Select(d => d.Id));

        var first = await ListAsync($"name={token}&pageSize=2");
        Assert.Equal(ids[..2], first.Items.Select(d => d.Id));

        var beyond = await ListAsync($"name={token}&page=4&pageSize=2");
        Assert.Empty(beyond.Items);
        Assert.Equal(5, beyond.TotalCount);

        var defaults = await ListAsync($"name={token}");
        Assert.Equal((1, 20, 5), (defaults.Page, defaults.PageSize, defaults.TotalCount));
    }

    [Fact]
    public async Task The_outbox_administration_lists_no_parked_outbox()
    {
        var response = await _client.GetAsync(new Uri("/admin/outbox/parked", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
        var release = await _client.PostAsync($"/admin/outbox/parked/{Guid.NewGuid()}/release", "");
        Assert.Equal(HttpStatusCode.NotFound, release.StatusCode);
    }

    [Fact]
    public async Task A_look_up_by_name_or_email_in_the_URL_is_refused_and_names_the_search_endpoint()
    {
        var response = await _client.GetAsync(new Uri($"/donors?email={Uri.EscapeDataString(NewEmail())}", UriKind.Relative));

        Assert.Equal(["email"], await response.ValidationErrorFieldsAsync());
        Assert.Contains("POST /donors/search", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_names_every_endpoint()
    {
        var document = await _client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        foreach (var operation in new[] { "RegisterDonor", "ListDonors", "SearchDonors", "GetDonor", "CorrectDonor", "RecordContribution", "GetContribution",
            "ListDonorContributions", "ListContributions", "RefundContribution", "VoidContribution", "ItemizedContributors", "ScheduleA" })
            Assert.Contains($"\"operationId\": \"{operation}\"", document, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"Idempotency-Key\"", document, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/reports/schedule-a", "get", "200", "application/json")]
    [InlineData("/reports/schedule-a", "get", "200", "text/csv")]
    [InlineData("/contributions", "get", "200", "application/json")]
    [InlineData("/donors/{donorId}/contributions/{contributionId}/refunds", "post", "200", "application/json")]
    [InlineData("/donors/{id}", "patch", "200", "application/json")]
    public async Task The_finance_desks_endpoints_come_with_examples(string path, string method, string status, string mediaType)
    {
        using var document = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var operation = document.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method);

        var example = operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty(mediaType).GetProperty("example");
        Assert.NotEqual(JsonValueKind.Null, example.ValueKind);
        if (method != "get")
            Assert.Equal(JsonValueKind.Object, operation.GetProperty("requestBody").GetProperty("content").EnumerateObject().First().Value.GetProperty("example").ValueKind);
    }

    /// <summary>POST /donors/search with the fields of <paramref name="query"/> (written as a query string for brevity).</summary>
    async Task<DonorPage> ListAsync(string query)
    {
        var response = await _client.PostAsJsonAsync(new Uri("/donors/search", UriKind.Relative), SearchBody.From(query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DonorPage>(Json))!;
    }
}
