using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>A database that cannot be reached is a dependency that is down: 503 with Retry-After, never a 500.</summary>
public sealed class DatabaseDownTests
{
    [Fact]
    public async Task With_the_database_down_a_read_is_tried_again_then_reads_and_writes_answer_503_with_Retry_After()
    {
        // A port nothing listens on: every connection is refused, as while PostgreSQL restarts.
        await using var app = await new FinanceApp($"Host=127.0.0.1;Port={UnusedPort()};Database=campaign_finance;Username=nobody;Password=unused",
            applyMigrations: false).StartAsync();
        using var client = app.CreateClient();

        using var read = await client.GetAsync(new Uri("/donors", UriKind.Relative));
        await AssertUnavailableAsync(read);
        Assert.Equal(3, app.Logs.Entries.Count(e => e.ToString().Contains("trying again", StringComparison.Ordinal)));

        using var write = await client.PostAsync("/donors", Registration(), Guid.NewGuid().ToString());
        await AssertUnavailableAsync(write);
    }

    static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("The service is temporarily unavailable.", problem.RootElement.GetProperty("title").GetString());
    }

    static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
