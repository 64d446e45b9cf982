using System.Net;
using System.Net.Http.Json;
using Campaign.Contracts;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Idempotency;
using Microsoft.EntityFrameworkCore;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>
/// Idempotency-Key on POST /donors and POST /donors/{id}/contributions: a retry answers the stored response and changes
/// nothing, another request under a used key answers 422, and concurrent duplicates have one effect.
/// </summary>
public sealed class IdempotencyTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    static string NewKey() => $"key-{Guid.NewGuid()}";

    [Fact]
    public async Task Retrying_a_registration_with_the_same_key_and_body_answers_the_first_response_and_registers_once()
    {
        var key = NewKey();
        var body = Registration();
        var before = await _app.CountRowsAsync();

        var first = await _client.PostAsync("/donors", body, key);
        var retry = await _client.PostAsync("/donors", body, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertSameResponseAsync(first, retry);
        Assert.Equal(before with { Donors = before.Donors + 1, IdempotentRequests = before.IdempotentRequests + 1 },
            await _app.CountRowsAsync());
    }

    [Fact]
    public async Task Retrying_a_contribution_with_the_same_key_and_body_records_and_publishes_once()
    {
        var donor = await _client.RegisterDonorAsync();
        var key = NewKey();

        var first = await _client.ContributeAsync(donor.Id, 60m, idempotencyKey: key);
        var retry = await _client.ContributeAsync(donor.Id, 60m, idempotencyKey: key);
        await _app.WaitForEventsDeliveredAsync();
        var late = await _client.ContributeAsync(donor.Id, 60m, idempotencyKey: key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertSameResponseAsync(first, retry);
        await AssertSameResponseAsync(first, late);
        var contribution = (await first.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        Assert.Equal([contribution.Id], await ContributionIdsAsync(donor.Id));
        await _app.WaitForEventsDeliveredAsync();
        Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id));
        Assert.Equal(contribution.Id, Assert.Single(_app.Events<ContributionReceived>(e => e.DonorId == donor.Id)).Message.ContributionId);
    }

    [Fact]
    public async Task Reusing_a_key_with_another_body_answers_422_and_changes_nothing()
    {
        var donor = await _client.RegisterDonorAsync();
        var contributionKey = NewKey();
        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 60m, idempotencyKey: contributionKey)).StatusCode);
        var registrationKey = NewKey();
        Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/donors", Registration(), registrationKey)).StatusCode);
        await _app.WaitForEventsDeliveredAsync();
        var before = await _app.CountRowsAsync();

        var otherAmount = await _client.ContributeAsync(donor.Id, 61m, idempotencyKey: contributionKey);
        var otherDonor = await _client.PostAsync("/donors", Registration(), registrationKey);
        var otherEndpoint = await _client.ContributeAsync(donor.Id, 60m, idempotencyKey: registrationKey);
        var otherPath = await _client.ContributeAsync((await _client.RegisterDonorAsync()).Id, 60m, idempotencyKey: contributionKey);

        foreach (var response in new[] { otherAmount, otherDonor, otherEndpoint, otherPath })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(before with { Donors = before.Donors + 1 }, await _app.CountRowsAsync());
        await _app.WaitForEventsDeliveredAsync();
        Assert.Single(_app.Events<ContributionReceived>(e => e.DonorId == donor.Id));
    }

    [Fact]
    public async Task Concurrent_duplicate_contributions_with_one_key_record_one_contribution_and_publish_once()
    {
        var donor = await _client.RegisterDonorAsync();
        var key = NewKey();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _client.ContributeAsync(donor.Id, 45m, idempotencyKey: key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        foreach (var response in responses.Skip(1))
            await AssertSameBodyAsync(responses[0], response);
        var contribution = (await responses[0].Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
        Assert.Equal([contribution.Id], await ContributionIdsAsync(donor.Id));
        await _app.WaitForEventsDeliveredAsync();
        Assert.Single(_app.Events<DonorSecured>(e => e.DonorId == donor.Id));
        Assert.Single(_app.Events<ContributionReceived>(e => e.DonorId == donor.Id));
    }

    [Fact]
    public async Task Concurrent_duplicate_registrations_with_one_key_register_one_donor()
    {
        var key = NewKey();
        var email = NewEmail();
        var body = Registration(email);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _client.PostAsync("/donors", body, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        foreach (var response in responses.Skip(1))
            await AssertSameBodyAsync(responses[0], response);
        Assert.Equal(1, await _app.QueryAsync(db => db.Donors.CountAsync(d => d.NormalizedEmail == email)));
        Assert.Equal(1, await _app.QueryAsync(db => db.IdempotentRequests.CountAsync(r => r.Key == key)));
    }

    [Fact]
    public async Task Requests_without_a_key_are_not_deduplicated()
    {
        var donor = await _client.RegisterDonorAsync();

        var first = await _client.ContributeAsync(donor.Id, 10m);
        var second = await _client.ContributeAsync(donor.Id, 10m);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(second.Headers.Contains(StoredResponse.ReplayedHeader));
        Assert.Equal(2, (await ContributionIdsAsync(donor.Id)).Count);
    }

    [Fact]
    public async Task A_refused_request_stores_nothing_under_its_key()
    {
        var key = NewKey();
        var donor = await _client.RegisterDonorAsync();

        // 404 and 409 change nothing and are not stored: the key can still carry a request that succeeds.
        Assert.Equal(HttpStatusCode.NotFound, (await _client.ContributeAsync(Guid.NewGuid(), 10m, idempotencyKey: key)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _client.PostAsync("/donors", Registration(donor.Email), key)).StatusCode);
        Assert.Equal(0, await _app.QueryAsync(db => db.IdempotentRequests.CountAsync(r => r.Key == key)));

        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 10m, idempotencyKey: key)).StatusCode);
        var stored = await _app.QueryAsync(db => db.IdempotentRequests.AsNoTracking().SingleAsync(r => r.Key == key));
        Assert.Equal($"POST /donors/{donor.Id}/contributions", stored.Endpoint);
        Assert.Equal(201, stored.StatusCode);
    }

    Task<List<Guid>> ContributionIdsAsync(Guid donorId) =>
        _app.QueryAsync(db => db.Contributions.Where(c => c.DonorId == donorId).Select(c => c.Id).ToListAsync());

    /// <summary>Same status, Location and body; the retry is marked as a replay.</summary>
    static async Task AssertSameResponseAsync(HttpResponseMessage first, HttpResponseMessage retry)
    {
        Assert.Equal(first.StatusCode, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Content.Headers.ContentType?.MediaType, retry.Content.Headers.ContentType?.MediaType);
        Assert.False(first.Headers.Contains(StoredResponse.ReplayedHeader));
        Assert.Equal(["true"], retry.Headers.GetValues(StoredResponse.ReplayedHeader));
    }

    static async Task AssertSameBodyAsync(HttpResponseMessage first, HttpResponseMessage other)
    {
        Assert.Equal(first.StatusCode, other.StatusCode);
        Assert.Equal(first.Headers.Location, other.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await other.Content.ReadAsStringAsync());
    }
}
