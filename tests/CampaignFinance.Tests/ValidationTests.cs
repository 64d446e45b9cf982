using System.Net;
using System.Text.Json;
using CampaignFinance.Idempotency;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>Every malformed request answers 400 naming the field, and writes nothing; unknown ids answer 404.</summary>
public sealed class ValidationTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    const string ValidAddress = """{"line1":"1 Main St","city":"Springfield","state":"IL","postalCode":"62701"}""";

    /// <summary>Registration bodies (with <c>EMAIL</c> standing for a fresh address) and the field each must be refused for.</summary>
    public static TheoryData<string, string> BadRegistrations => new()
    {
        { """{"email":"EMAIL"}""", "name" },
        { """{"name":"   ","email":"EMAIL"}""", "name" },
        { $$"""{"name":"{{new string('x', 201)}}","email":"EMAIL"}""", "name" },
        { """{"name":"Ann Lee","email":"not-an-email"}""", "email" },
        { """{"name":"Ann Lee","email":"ann@localhost"}""", "email" },
        { """{"name":"Ann Lee","email":"Ann Lee <ann@example.org>"}""", "email" },
        { $$"""{"name":"Ann Lee","email":"{{new string('a', 250)}}@example.org"}""", "email" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":"1 Main St","city":"Springfield","state":"ZZ","postalCode":"62701"}}""", "address.state" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":"1 Main St","city":"Springfield","state":"Illinois","postalCode":"62701"}}""", "address.state" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":"1 Main St","city":"Springfield","state":"IL","postalCode":"6270"}}""", "address.postalCode" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":"1 Main St","city":"Springfield","state":"IL","postalCode":"62701-12"}}""", "address.postalCode" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":"1 Main St","state":"IL","postalCode":"62701"}}""", "address.city" },
        { """{"name":"Ann Lee","email":"EMAIL","address":{"line1":" ","city":"Springfield","state":"IL","postalCode":"62701"}}""", "address.line1" },
        { $$"""{"name":"Ann Lee","email":"EMAIL","employer":"{{new string('e', 201)}}"}""", "employer" },
        { $$"""{"name":"Ann Lee","email":"EMAIL","occupation":"{{new string('o', 201)}}"}""", "occupation" },
        { """{"name":42,"email":"EMAIL"}""", "$.name" },
        { """{"name":"Ann Lee","email":"EMAIL","address":"1 Main St"}""", "$.address" },
        { """{"name":"Ann Lee","email":""", "$.email" },
    };

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task A_bad_registration_answers_400_naming_the_field_and_registers_nobody(string body, string field)
    {
        var response = await RefusedAsync(() => _client.PostAsync("/donors", body.Replace("EMAIL", NewEmail(), StringComparison.Ordinal)));
        Assert.Contains(field, await response.ValidationErrorFieldsAsync());
    }

    /// <summary>Contribution bodies and the field each must be refused for.</summary>
    public static TheoryData<string, string> BadContributions => new()
    {
        { """{"amount":0,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"amount":-5,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"amount":10.123,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"amount":1000000.01,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"amount":5000000,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "amount" },
        { """{"amount":"lots","currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "$.amount" },
        { """{"amount":true,"currency":"USD","receivedOn":"2031-06-01","method":"card"}""", "$.amount" },
        { """{"amount":25,"currency":"XYZ","receivedOn":"2031-06-01","method":"card"}""", "currency" },
        { """{"amount":25,"currency":"usd","receivedOn":"2031-06-01","method":"card"}""", "currency" },
        { """{"amount":25,"currency":"EUR","receivedOn":"2031-06-01","method":"card"}""", "currency" },
        { """{"amount":25,"receivedOn":"2031-06-01","method":"card"}""", "currency" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-16","method":"card"}""", "receivedOn" },
        { """{"amount":25,"currency":"USD","method":"card"}""", "receivedOn" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-13-01","method":"card"}""", "$.receivedOn" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-01","method":"bitcoin"}""", "$.method" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-01","method":1}""", "$.method" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-01","method":"card, check"}""", "$.method" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-01","method":null}""", "method" },
        { """{"amount":25,"currency":"USD","receivedOn":"2031-06-01"}""", "method" },
        { """{"amount":25,"currency":"USD",""", "$" },
        { "not json", "$" },
    };

    [Theory]
    [MemberData(nameof(BadContributions))]
    public async Task A_bad_contribution_answers_400_naming_the_field_and_records_and_publishes_nothing(string body, string field)
    {
        var donor = await _client.RegisterDonorAsync();

        var response = await RefusedAsync(() => _client.PostAsync($"/donors/{donor.Id}/contributions", body));

        Assert.Contains(field, await response.ValidationErrorFieldsAsync());
        await AssertNotSecuredAsync(donor.Id);
    }

    [Fact]
    public async Task A_currency_error_says_only_USD_is_accepted()
    {
        var donor = await _client.RegisterDonorAsync();
        var response = await RefusedAsync(() => _client.PostAsync($"/donors/{donor.Id}/contributions", Contribution(currency: "usd")));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = problem.RootElement.GetProperty("errors").GetProperty("currency")[0].GetString();
        Assert.Contains("only USD", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_bad_fields_are_all_named()
    {
        var donor = await _client.RegisterDonorAsync();
        var response = await RefusedAsync(() => _client.PostAsync($"/donors/{donor.Id}/contributions",
            """{"amount":0,"currency":"XYZ","receivedOn":"2040-01-01"}"""));
        Assert.Equal(["amount", "currency", "method", "receivedOn"], (await response.ValidationErrorFieldsAsync()).Order());
    }

    public static TheoryData<string> BadKeys => new() { new string('k', 101), "clé-1", "key\twith-tab" };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_malformed_idempotency_key_answers_400_on_both_posts_and_writes_nothing(string key)
    {
        var donor = await _client.RegisterDonorAsync();

        var registration = await RefusedAsync(() => _client.PostAsync("/donors", Registration(), key));
        Assert.Contains(IdempotencyKey.HeaderName, await registration.ValidationErrorFieldsAsync());

        var contribution = await RefusedAsync(() => _client.ContributeAsync(donor.Id, 10m, idempotencyKey: key));
        Assert.Contains(IdempotencyKey.HeaderName, await contribution.ValidationErrorFieldsAsync());
        await AssertNotSecuredAsync(donor.Id);
    }

    [Theory]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=101", "pageSize")]
    [InlineData("page=0", "page")]
    [InlineData("page=-1&pageSize=500", "pageSize")]
    [InlineData("page=2147483647&pageSize=100", "page")]
    public async Task A_bad_page_answers_400_naming_the_parameter(string query, string field)
    {
        var response = await _client.GetAsync(new Uri($"/donors?{query}", UriKind.Relative));
        Assert.Contains(field, await response.ValidationErrorFieldsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?year=1999")]
    [InlineData("?year=2101")]
    [InlineData("?year=0")]
    public async Task A_missing_or_out_of_range_year_answers_400_naming_the_year(string query)
    {
        var response = await _client.GetAsync(new Uri($"/reports/itemized-contributors{query}", UriKind.Relative));
        Assert.Contains("year", await response.ValidationErrorFieldsAsync());
    }

    [Fact]
    public async Task A_year_that_is_not_a_number_answers_400()
    {
        var response = await _client.GetAsync(new Uri("/reports/itemized-contributors?year=last", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_donor_answers_404()
    {
        var response = await _client.GetAsync(new Uri($"/donors/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_contribution_for_an_unknown_donor_answers_404_and_writes_nothing()
    {
        var before = await _app.CountRowsAsync();
        var response = await _client.ContributeAsync(Guid.NewGuid(), 25m, idempotencyKey: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await _app.CountRowsAsync());
    }

    [Fact]
    public async Task An_unknown_contribution_answers_404()
    {
        var donor = await _client.RegisterDonorAsync();
        var response = await _client.GetAsync(new Uri($"/donors/{donor.Id}/contributions/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Sends a request that must be refused, and checks that no table gained or lost a row.</summary>
    async Task<HttpResponseMessage> RefusedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var before = await _app.CountRowsAsync();
        var response = await send();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await _app.CountRowsAsync());
        return response;
    }

    async Task AssertNotSecuredAsync(Guid donorId)
    {
        var details = await _client.GetAsync(new Uri($"/donors/{donorId}", UriKind.Relative));
        using var json = JsonDocument.Parse(await details.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("securedAt").ValueKind);
    }
}
