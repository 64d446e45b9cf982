using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CampaignFinance.Features.Donors;
using Microsoft.EntityFrameworkCore;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>POST /donors: the donor as registered, one donor per address (case-insensitively), no personal data in logs.</summary>
public sealed class DonorRegistrationTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task Registering_a_donor_answers_201_with_its_location_and_the_donor()
    {
        var email = NewEmail();

        var response = await _client.PostAsync("/donors", Registration(email, "Jordan Avery"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var donor = (await response.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        Assert.Equal($"/donors/{donor.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("Jordan Avery", donor.Name);
        Assert.Equal(email, donor.Email);
        Assert.Equal(new PostalAddress("12 Main Street", "Apt 4", "Springfield", "IL", "62701-1234"), donor.Address);
        Assert.Equal("Springfield Library", donor.Employer);
        Assert.Equal("Librarian", donor.Occupation);
        Assert.Equal(FinanceApp.Today, DateOnly.FromDateTime(donor.RegisteredAt.UtcDateTime));
        Assert.Null(donor.SecuredAt);

        var fetched = (await _client.GetFromJsonAsync<DonorDetails>(response.Headers.Location, Json))!;
        Assert.Equal(donor.Id, fetched.Id);
        Assert.Equal(donor.Address, fetched.Address);
        Assert.Equal(donor.RegisteredAt, fetched.RegisteredAt);

        var stored = await _app.QueryAsync(db => db.Donors.AsNoTracking().SingleAsync(d => d.Id == donor.Id));
        Assert.Equal(email.ToLowerInvariant(), stored.NormalizedEmail);
    }

    [Fact]
    public async Task A_donor_needs_only_a_name_and_an_email_and_values_are_trimmed_and_normalized()
    {
        var email = NewEmail();
        var bare = await _client.PostAsync("/donors", new { name = "  Casey Morgan ", email = $" {email} " });
        Assert.Equal(HttpStatusCode.Created, bare.StatusCode);
        var donor = (await bare.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        Assert.Equal("Casey Morgan", donor.Name);
        Assert.Equal(email, donor.Email);
        Assert.Null(donor.Address);
        Assert.Null(donor.Employer);
        Assert.Null(donor.Occupation);

        var withAddress = await _client.PostAsync("/donors", new
        {
            name = "Riley Park",
            email = NewEmail(),
            address = new { line1 = " 1 Elm St ", city = "Washington", state = "dc", postalCode = "20001" },
            employer = "  ",
        });
        Assert.Equal(HttpStatusCode.Created, withAddress.StatusCode);
        var riley = (await withAddress.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        Assert.Equal(new PostalAddress("1 Elm St", null, "Washington", "DC", "20001"), riley.Address);
        Assert.Null(riley.Employer);
    }

    [Fact]
    public async Task Registering_an_email_already_registered_in_another_case_answers_409_with_the_donor_id_and_writes_nothing()
    {
        var donor = await _client.RegisterDonorAsync($"Mixed.Case-{Guid.NewGuid():N}@Example.org");
        var before = await _app.CountRowsAsync();

        var response = await _client.PostAsync("/donors", Registration(donor.Email!.ToUpperInvariant(), "Someone Else"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(donor.Id, problem.RootElement.GetProperty("donorId").GetGuid());
        Assert.Equal(before, await _app.CountRowsAsync());
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_email_register_one_donor_and_leave_no_outbox_rows()
    {
        var email = NewEmail();
        var before = await _app.CountRowsAsync();

        // Some of these pass the "already registered?" check together; the unique index makes their SaveChanges fail.
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            _client.PostAsync("/donors", Registration(i % 2 == 0 ? email : email.ToUpperInvariant(), $"Donor {i}"))));

        var created = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var donor = (await created.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        foreach (var conflict in responses.Where(r => r != created))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            using var problem = JsonDocument.Parse(await conflict.Content.ReadAsStringAsync());
            Assert.Equal(donor.Id, problem.RootElement.GetProperty("donorId").GetGuid());
        }

        var after = await _app.CountRowsAsync();
        Assert.Equal(before with { Donors = before.Donors + 1 }, after);
        Assert.Equal(0, after.OutboxMessages);
        Assert.Equal(0, after.OutboxStates);
    }

    [Fact]
    public async Task No_log_line_carries_a_donors_name_or_email()
    {
        var name = $"Quinn Loggable-{Guid.NewGuid():N}";
        var email = NewEmail();
        var donor = await _client.RegisterDonorAsync(email, name);
        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 20m)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _client.PostAsync("/donors", Registration(email, name))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsJsonAsync(new Uri("/donors/search", UriKind.Relative), new { email, name })).StatusCode);
        await _app.WaitForEventsDeliveredAsync();

        Assert.True(_app.Logs.Mention(donor.Id.ToString()), "the registration is logged by id");
        Assert.False(_app.Logs.Mention(email), "no log mentions the email address");
        Assert.False(_app.Logs.Mention(Uri.EscapeDataString(email)), "no log mentions the escaped email address");
        Assert.False(_app.Logs.Mention(name), "no log mentions the name");
    }
}
