using System.Net;
using System.Net.Http.Json;
using Campaign.ServiceDefaults.Audit;
using Campaign.ServiceDefaults.Retention;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>The audit trail of reads and writes of personal data, and the purge of stored responses.</summary>
public sealed class AuditAndRetentionTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly FinanceApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task A_registration_and_a_read_of_the_donor_are_recorded_with_who_what_and_the_trace()
    {
        var donor = await _client.RegisterDonorAsync();
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(new Uri($"/donors/{donor.Id}", UriKind.Relative))).StatusCode);

        var entries = (await AuditAsync($"resource=/donors/{donor.Id}")).Items;

        Assert.Equal(["GetDonor", "RegisterDonor"], entries.Select(e => e.Action)); // newest first
        Assert.All(entries, entry =>
        {
            Assert.Equal(TestTokens.Subject, entry.Subject);
            Assert.Equal("operators-tools", entry.ClientId);
            Assert.Equal(32, entry.TraceId?.Length);
        });
        Assert.Equal([200, 201], entries.Select(e => e.Status));
    }

    [Fact]
    public async Task A_search_is_recorded_without_what_was_searched_for()
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsJsonAsync(new Uri("/donors/search", UriKind.Relative), new { email })).StatusCode);

        var search = (await AuditAsync("action=SearchDonors")).Items[0];

        Assert.Equal("/donors/search", search.Resource);
        var rowsWithTheAddress = await _app.QueryAsync(db => db.Database
            .SqlQuery<long>($"""SELECT count(*) AS "Value" FROM "AuditTrail" a WHERE a::text ILIKE {"%" + email + "%"}""").SingleAsync());
        Assert.Equal(0, rowsWithTheAddress);
    }

    [Fact]
    public async Task The_role_that_owns_the_audit_table_can_add_entries_but_not_change_or_erase_them()
    {
        await using var connection = new NpgsqlConnection(await _app.QueryAsync(db => Task.FromResult(db.Database.GetConnectionString())));
        await connection.OpenAsync();
        await Execute("""INSERT INTO "AuditTrail" ("At", "Subject", "Action", "Resource", "Status") VALUES (now(), 'probe', 'Probe', '/probe', 200)""");

        foreach (var change in new[] { """UPDATE "AuditTrail" SET "Subject" = 'someone-else'""", """DELETE FROM "AuditTrail" """, """TRUNCATE "AuditTrail" """ })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Execute(change));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        Task Execute(string sql) => new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Reading_the_audit_trail_needs_its_own_scope()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/audit", UriKind.Relative));
        request.Headers.Authorization = new("Bearer", await TestTokens.ForAsync("finance.read", "finance.write", "finance.reports"));

        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Stored_responses_older_than_the_retention_are_purged_and_their_key_is_then_a_new_request()
    {
        var donor = await _client.RegisterDonorAsync();
        var (oldKey, freshKey) = ($"old-{Guid.NewGuid()}", $"fresh-{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 10m, idempotencyKey: oldKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, 20m, idempotencyKey: freshKey)).StatusCode);
        await _app.ExecuteSqlAsync($"""UPDATE "IdempotentRequests" SET "CreatedAt" = "CreatedAt" - interval '3 days 1 minute' WHERE "Key" = '{oldKey}'""");

        var purged = await _app.Services.GetServices<IHostedService>().OfType<RetentionService>().Single().PurgeOnceAsync(CancellationToken.None);

        Assert.True(purged["IdempotentResponses"] >= 1);
        var keys = await _app.QueryAsync(db => db.IdempotentRequests.Where(r => r.Key == oldKey || r.Key == freshKey).Select(r => r.Key).ToListAsync());
        Assert.Equal([freshKey], keys);
        var again = await _client.ContributeAsync(donor.Id, 10m, idempotencyKey: oldKey);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.False(again.Headers.Contains("Idempotent-Replayed"));
    }

    async Task<AuditPage> AuditAsync(string query)
    {
        var response = await _client.GetAsync(new Uri($"/audit?{query}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AuditPage>(Json))!;
    }
}
