extern alias Communications;
extern alias Finance;
extern alias Volunteers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Campaign.ResilienceTests.Support;
using Campaign.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;
using CommunicationsService = Campaign.ResilienceTests.Support.InProcessService<Communications::Program, Communications::Communications.Data.CommunicationsDbContext>;
using FinanceService = Campaign.ResilienceTests.Support.InProcessService<Finance::Program, Finance::CampaignFinance.Data.FinanceDbContext>;
using VolunteersService = Campaign.ResilienceTests.Support.InProcessService<Volunteers::Program, Volunteers::VolunteerCoordinator.Data.VolunteerCoordinatorDbContext>;

namespace Campaign.ResilienceTests.Fuzzing;

/// <summary>
/// At least <see cref="HostileRequestCatalog.PerEndpoint"/> malformed or hostile requests to every endpoint of every service
/// that takes input (bad JSON, wrong types, huge bodies, negative and absurd amounts, invalid currencies, oversized strings,
/// injection strings, NUL characters, wrong methods and content types). Every one must be answered 4xx with problem details,
/// none 5xx, nothing logged as an error, and the database must be exactly as before (tables and sequences).
/// </summary>
public sealed class HttpFuzzingTests(ITestOutputHelper output)
{
    const int Seed = 20_261_126;

    [Fact]
    public async Task CampaignFinance_refuses_every_hostile_request_and_writes_nothing()
    {
        await using var database = await TestDatabase.CreateAsync("fuzz_finance");
        await using var service = await new FinanceService("CampaignFinance", database.ConnectionString).StartAsync();
        using var client = service.CreateClient();

        // A donor who has not given yet: any contribution that got through would secure them and publish DonorSecured.
        using var registered = await client.PostAsJsonAsync("/donors", new { name = "Fuzz Target", email = "fuzz-target@fuzz.example.org" });
        Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
        var donorId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // Another donor's contribution, received on the catalog's date: any refund or void that got through would write an entry.
        using var other = await client.PostAsJsonAsync("/donors", new { name = "Fuzz Giver", email = "fuzz-giver@fuzz.example.org" });
        var giverId = (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var gift = await client.PostAsJsonAsync($"/donors/{giverId}/contributions",
            new { amount = 100m, currency = "USD", receivedOn = "2025-01-15", method = "check" });
        Assert.Equal(System.Net.HttpStatusCode.Created, gift.StatusCode);
        var giftId = (await gift.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        // Its events delivered (their outbox rows deleted) before the database's fingerprint is taken.
        await Eventually.Until(async () =>
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("""SELECT count(*) FROM "OutboxMessage" """, connection);
            return (long)(await count.ExecuteScalarAsync())!;
        }, n => n == 0, "the gift's events are delivered", TimeSpan.FromSeconds(60));

        var requests = HostileRequestCatalog.Finance(new Fuzzer(Seed), donorId, (giverId, giftId));
        requests.AddRange(HostileRequestCatalog.Tokens(requests, "campaign-finance"));
        await SendAllAndVerifyAsync(requests, client, service.Logs, database.ConnectionString);
    }

    [Fact]
    public async Task VolunteerCoordinator_refuses_every_hostile_request_and_writes_nothing()
    {
        await using var database = await TestDatabase.CreateAsync("fuzz_volunteers");
        await using var service = await new VolunteersService("VolunteerCoordinator", database.ConnectionString).StartAsync();
        using var client = service.CreateClient();

        var phoneBanker = await SignUpAsync(client, "fuzz-caller@fuzz.example.org", "phone-banking");
        var canvasser = await SignUpAsync(client, "fuzz-canvasser@fuzz.example.org", "canvassing");
        var openCall = Guid.NewGuid();
        var assignedCall = Guid.NewGuid();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO "ThankYouCalls" ("Id", "DonorId", "DonorName", "VolunteerId", "CreatedAt", "AssignedAt")
                VALUES ($1, $2, 'Open Donor', NULL, now(), NULL), ($3, $4, 'Assigned Donor', $5, now(), now())
                """, connection)
            {
                Parameters =
                {
                    new() { Value = openCall }, new() { Value = Guid.NewGuid() },
                    new() { Value = assignedCall }, new() { Value = Guid.NewGuid() }, new() { Value = phoneBanker },
                },
            };
            await insert.ExecuteNonQueryAsync();
        }

        var requests = HostileRequestCatalog.Volunteers(new Fuzzer(Seed + 1), phoneBanker, canvasser, openCall, assignedCall);
        requests.AddRange(HostileRequestCatalog.Tokens(requests, "volunteer-coordinator"));
        await SendAllAndVerifyAsync(requests, client, service.Logs, database.ConnectionString);
    }

    [Fact]
    public async Task Communications_refuses_every_hostile_request_and_writes_nothing()
    {
        await using var database = await TestDatabase.CreateAsync("fuzz_communications");
        await using var service = await new CommunicationsService("Communications", database.ConnectionString,
            new Dictionary<string, string?> { ["Mail:PickupFolder"] = Path.Combine(Path.GetTempPath(), "campaign-fuzz-pickup") }).StartAsync();
        using var client = service.CreateClient();

        var requests = HostileRequestCatalog.Communications(new Fuzzer(Seed + 2));
        requests.AddRange(HostileRequestCatalog.Tokens(requests, "communications"));
        await SendAllAndVerifyAsync(requests, client, service.Logs, database.ConnectionString);
    }

    static async Task<Guid> SignUpAsync(HttpClient client, string email, string skill)
    {
        using var response = await client.PostAsJsonAsync("/volunteers", new { name = "Fuzz Seed", email, skills = new[] { skill } });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    async Task SendAllAndVerifyAsync(List<HostileRequest> requests, HttpClient client, CapturedLogs logs, string connectionString)
    {
        // Events of the arranged data leave the outbox first: the relay deleting them must not look like a write.
        await WaitForEmptyOutboxAsync(connectionString);
        var before = await DatabaseFingerprint.TakeAsync(connectionString);
        var errorsBefore = logs.Entries.Where(e => e.Level >= LogLevel.Error).Count();

        var perEndpoint = requests.GroupBy(r => r.Endpoint).ToDictionary(g => g.Key, g => g.Count());
        var violations = new ConcurrentBag<(HostileRequest Request, string Problem)>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, cancellationToken) =>
        {
            var problem = await SendAsync(client, request, cancellationToken);
            if (problem is not null)
                violations.Add((request, problem));
        });
        watch.Stop();

        var after = await DatabaseFingerprint.TakeAsync(connectionString);
        var written = before.Differences(after).ToList();
        var errorLogs = logs.Entries.Where(e => e.Level >= LogLevel.Error).Skip(errorsBefore).Select(e => e.ToString()).ToList();

        output.WriteLine($"{requests.Count} hostile requests in {watch.Elapsed.TotalSeconds:0.0} s:");
        foreach (var (endpoint, count) in perEndpoint.OrderBy(e => e.Key, StringComparer.Ordinal))
            output.WriteLine($"  {count,5}  {endpoint}");
        output.WriteLine($"refused as required: {requests.Count - violations.Count}, violations: {violations.Count}");

        var report = new List<string>();
        foreach (var group in violations.GroupBy(v => (v.Request.Endpoint, v.Problem)).OrderBy(g => g.Key.Endpoint, StringComparer.Ordinal))
        {
            report.Add($"{group.Key.Endpoint}: {group.Key.Problem} ({group.Count()} requests), e.g.:");
            report.AddRange(group.Take(5).Select(v => "    " + v.Request));
        }
        if (written.Count > 0)
            report.Add("written to the database: " + string.Join("; ", written));
        if (errorLogs.Count > 0)
            report.Add($"{errorLogs.Count} errors logged, e.g.: " + string.Join("\n", errorLogs.Take(3).Select(e => e.Length > 600 ? e[..600] : e)));
        foreach (var line in report)
            output.WriteLine(line);

        Assert.True(requests.Count >= 1000, $"only {requests.Count} requests");
        Assert.True(report.Count == 0, string.Join("\n", report));
    }

    /// <summary>Null when the response is a 4xx with problem details; otherwise what is wrong with it.</summary>
    static async Task<string?> SendAsync(HttpClient client, HostileRequest request, CancellationToken cancellationToken)
    {
        using var message = request.ToMessage();
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or IOException)
        {
            return $"no response ({exception.GetType().Name}: {exception.Message})";
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is < 400 or > 499)
                return $"answered {status}";
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType != "application/problem+json")
                return $"answered {status} as {mediaType ?? "no content type"}, not problem details";
            try
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                if (!body.RootElement.TryGetProperty("status", out var statusProperty) || statusProperty.GetInt32() != status)
                    return $"answered {status} with problem details whose status is not {status}";
            }
            catch (JsonException)
            {
                return $"answered {status} with a problem+json body that is not JSON";
            }
            return null;
        }
    }

    static async Task WaitForEmptyOutboxAsync(string connectionString)
    {
        var deadline = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        while (true)
        {
            await using var count = new NpgsqlCommand("""SELECT (SELECT count(*) FROM "OutboxMessage") + (SELECT count(*) FROM "OutboxState")""", connection);
            if ((long)(await count.ExecuteScalarAsync())! == 0)
                return;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the outbox of the arranged data did not drain within 30 s");
            await Task.Delay(50);
        }
    }
}
