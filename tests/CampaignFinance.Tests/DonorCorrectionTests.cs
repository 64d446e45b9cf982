using System.Net;
using System.Net.Http.Json;
using System.Text;
using Campaign.Contracts;
using CampaignFinance.Features.Donors;
using Microsoft.EntityFrameworkCore;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>
/// PATCH /donors/{id}: corrections guarded by the donor's ETag, publishing DonorUpdated; and donors without email, checked
/// for a possible duplicate by name and ZIP.
/// </summary>
public sealed class DonorCorrectionTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task A_correction_with_the_current_ETag_changes_only_the_fields_sent_and_publishes_DonorUpdated()
    {
        var donor = await _client.RegisterDonorAsync(name: "Jordan Avery");
        var etag = await ETagAsync(donor.Id);

        var response = await PatchAsync(donor.Id, """{"name":"Jordan Avery-Park","employer":null}""", etag);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var corrected = (await response.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        Assert.Equal(("Jordan Avery-Park", null, "Librarian", donor.Email, donor.Address), (corrected.Name, corrected.Employer, corrected.Occupation,
            corrected.Email, corrected.Address));
        var newTag = response.Headers.ETag?.ToString();
        Assert.NotNull(newTag);
        Assert.NotEqual(etag, newTag);
        Assert.Equal(newTag, await ETagAsync(donor.Id));

        await _app.WaitForEventsDeliveredAsync();
        var updated = Assert.Single(_app.Events<DonorUpdated>(e => e.DonorId == donor.Id)).Message;
        Assert.Equal("Jordan Avery-Park", updated.Name);
        Assert.Equal(["name", "employer"], updated.ChangedFields);
    }

    [Fact]
    public async Task A_stale_ETag_is_412_and_a_missing_one_428_and_neither_changes_the_donor()
    {
        var donor = await _client.RegisterDonorAsync();
        var stale = await ETagAsync(donor.Id);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(donor.Id, """{"occupation":"Archivist"}""", stale)).StatusCode);

        var late = await PatchAsync(donor.Id, """{"occupation":"Curator"}""", stale);
        var without = await PatchAsync(donor.Id, """{"occupation":"Curator"}""", null);
        var any = await PatchAsync(donor.Id, """{"occupation":"Curator"}""", "*");

        Assert.Equal((HttpStatusCode.PreconditionFailed, HttpStatusCode.PreconditionRequired, HttpStatusCode.PreconditionRequired),
            (late.StatusCode, without.StatusCode, any.StatusCode));
        Assert.Equal("application/problem+json", late.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Archivist", await _app.QueryAsync(db => db.Donors.Where(d => d.Id == donor.Id).Select(d => d.Occupation).SingleAsync()));
    }

    [Theory]
    [InlineData("""{"email":"new@example.org"}""", "email")]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":null}""", "name")]
    [InlineData("""{"address":{"line1":"1 Main St","city":"Springfield","state":"ZZ","postalCode":"62701"}}""", "address.state")]
    [InlineData("""{"occupation":"Nurse\u0000"}""", "$.occupation")]
    [InlineData("""{"employer":42}""", "$.employer")]
    [InlineData("""{}""", "$")]
    [InlineData("""[1]""", "$")]
    public async Task A_bad_correction_is_a_400_naming_the_field(string patch, string field)
    {
        var donor = await _client.RegisterDonorAsync();

        var response = await PatchAsync(donor.Id, patch, await ETagAsync(donor.Id));

        Assert.Contains(field, await response.ValidationErrorFieldsAsync());
    }

    [Fact]
    public async Task The_address_can_be_removed_and_an_unknown_donor_is_404()
    {
        var donor = await _client.RegisterDonorAsync();

        var removed = await PatchAsync(donor.Id, """{"address":null}""", await ETagAsync(donor.Id));

        Assert.Null((await removed.Content.ReadFromJsonAsync<DonorResponse>(Json))!.Address);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(Guid.NewGuid(), """{"name":"X"}""", "\"1\"")).StatusCode);
    }

    [Fact]
    public async Task A_donor_without_email_is_recorded_and_a_second_with_the_same_name_and_ZIP_is_reported_as_a_possible_duplicate()
    {
        var name = $"Pat O'Brien {Guid.NewGuid():N}";
        var check = new { name, address = new { line1 = "9 Elm St", city = "Springfield", state = "IL", postalCode = "62701" } };
        var first = await _client.PostAsync("/donors", check);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var donor = (await first.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
        Assert.Null(donor.Email);

        // Typed differently, another ZIP+4 of the same ZIP: the same person as far as the desk can tell.
        var again = await _client.PostAsync("/donors", new
        {
            name = "  " + name.ToUpperInvariant().Replace("'", "", StringComparison.Ordinal) + " ",
            address = new { line1 = "9 Elm Street", city = "Springfield", state = "IL", postalCode = "62701-4321" },
        });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await again.Content.ReadFromJsonAsync<PossibleDuplicateProblem>(Json);
        Assert.Equal([donor.Id], problem!.PossibleDuplicates);

        var confirmed = await _client.PostAsync("/donors", new { check.name, check.address, confirmedNewDonor = true });
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
        var otherZip = await _client.PostAsync("/donors", new { name, address = new { line1 = "1 Oak St", city = "Peoria", state = "IL", postalCode = "61602" } });
        Assert.Equal(HttpStatusCode.Created, otherZip.StatusCode);
        var normalized = DonorForm.NormalizeName(name);
        Assert.Equal(3, await _app.QueryAsync(db => db.Donors.CountAsync(d => d.NormalizedName == normalized && d.Email == null)));
    }

    [Fact]
    public async Task A_donor_without_email_secures_with_a_DonorSecured_that_has_no_email()
    {
        var response = await _client.PostAsync("/donors", new { name = $"Cash Giver {Guid.NewGuid():N}" });
        var donor = (await response.Content.ReadFromJsonAsync<DonorResponse>(Json))!;

        await _client.ContributedAsync(donor.Id, 20m, FinanceApp.Today);

        await _app.WaitForEventsDeliveredAsync();
        var secured = Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id)).Message;
        Assert.Null(secured.Email);
    }

    async Task<string> ETagAsync(Guid donorId)
    {
        var response = await _client.GetAsync(new Uri($"/donors/{donorId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.ETag!.ToString();
    }

    Task<HttpResponseMessage> PatchAsync(Guid donorId, string patch, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, new Uri($"/donors/{donorId}", UriKind.Relative))
        {
            Content = new StringContent(patch, Encoding.UTF8, "application/merge-patch+json"),
        };
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return _client.SendAsync(request);
    }

    sealed record PossibleDuplicateProblem(IReadOnlyList<Guid> PossibleDuplicates);
}
