using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.ServiceDefaults;
using Campaign.Testing;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using CampaignFinance.Idempotency;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CampaignFinance.Tests;

/// <summary>
/// The CampaignFinance service on a real database, with MassTransit's in-memory harness instead of RabbitMQ (the outbox
/// relay delivers committed events to it, where they show as Sent), and a clock set to <see cref="Today"/>.
/// </summary>
public sealed class FinanceApp(string connectionString, bool applyMigrations = true) : WebApplicationFactory<Program>
{
    /// <summary>The app's date (UTC) for the whole run.</summary>
    public static readonly DateOnly Today = new(2031, 6, 15);

    public CapturedLogs Logs { get; } = new();

    public ITestHarness Harness => Services.GetTestHarness();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:CampaignFinance", connectionString);
        builder.UseSetting("Database:ApplyMigrations", applyMigrations ? "true" : "false");
        builder.UseLocalIssuer();
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(new ShiftedClock(new DateTimeOffset(Today.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero)));
            services.AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<EventRecorder>();
                bus.AddServiceOutbox<FinanceDbContext>();
            });
        });
    }

    /// <summary>Clients act as a signed-in person with every scope; a test that needs another caller sets its own header.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.Authorize();
    }

    /// <summary>Starts the host (migrations applied, bus and relay running).</summary>
    public async Task<FinanceApp> StartAsync()
    {
        // MassTransit keeps the current bus's logger factory in an AsyncLocal that leaks into the caller's flow: start on a copy
        // of the flow with it cleared (as the Communications tests do).
        await Task.Run(async () =>
        {
            LogContext.Current = null;
            _ = Server;
            await Harness.Start();
        });
        return this;
    }

    public async Task<T> QueryAsync<T>(Func<FinanceDbContext, Task<T>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<FinanceDbContext>());
    }

    public Task ExecuteSqlAsync(string sql) =>
        QueryAsync(db => db.Database.ExecuteSqlRawAsync(sql));

    /// <summary>Rows of every table a request may write.</summary>
    public Task<RowCounts> CountRowsAsync() => QueryAsync(async db => new RowCounts(
        await db.Donors.CountAsync(),
        await db.Contributions.CountAsync(),
        await db.IdempotentRequests.CountAsync(),
        await db.Set<OutboxMessage>().CountAsync(),
        await db.Set<OutboxState>().CountAsync()));

    /// <summary>
    /// Waits until the relay has delivered every committed event (it deletes each row once the bus took it) and every event it
    /// sent was consumed: then <see cref="Events{T}"/> is complete.
    /// </summary>
    public async Task WaitForEventsDeliveredAsync()
    {
        await Eventually.Until(() => QueryAsync(db => db.Set<OutboxMessage>().CountAsync()), n => n == 0, "the outbox is delivered");
        await Eventually.Until(() => Task.FromResult((Sent: SentEvents().Count, Consumed: Harness.Consumed.Select(_ => true).Count())),
            n => n.Consumed >= n.Sent, "every sent event is consumed");
    }

    /// <summary>
    /// What the relay sent to the bus: bus-outbox messages reach the harness as Sent of their serialized body (not as
    /// Sent&lt;T&gt;, MassTransit issue 4873), so they are told apart by message id and type URN.
    /// </summary>
    public List<ISentMessage> SentEvents() =>
        [.. Harness.Sent.Select(m => m.Context.SupportedMessageTypes.Any(t => t.StartsWith("urn:message:Campaign.Contracts:", StringComparison.Ordinal)))];

    /// <summary>The distinct events of type <typeparamref name="T"/> (by message id) subscribers received, with their message ids.</summary>
    public List<(Guid MessageId, T Message)> Events<T>(Func<T, bool> filter)
        where T : class =>
        [.. Harness.Consumed.Select<T>(m => filter(m.Context.Message))
            .Select(m => (m.Context.MessageId ?? Guid.Empty, m.Context.Message))
            .DistinctBy(e => e.Item1)];

    /// <summary>The ordering key a consumed event carried (the outbox delivers one key's events in commit order).</summary>
    public string? OrderingKey(Guid messageId) =>
        Harness.Consumed.Select(m => m.Context.MessageId == messageId).FirstOrDefault()?.Context.Headers
            .Get<string>(Campaign.Outbox.OrderingKeyExtensions.HeaderName);

    /// <summary>How many times the relay sent the message with this id.</summary>
    public int SentCount(Guid messageId) => SentEvents().Count(m => m.Context.MessageId == messageId);
}

/// <summary>A subscriber to the events CampaignFinance publishes, so the harness shows them typed (as Consumed).</summary>
public sealed class EventRecorder : IConsumer<DonorSecured>, IConsumer<ContributionReceived>, IConsumer<ContributionRefunded>,
    IConsumer<ContributionVoided>, IConsumer<DonorUpdated>
{
    public Task Consume(ConsumeContext<DonorSecured> context) => Task.CompletedTask;

    public Task Consume(ConsumeContext<ContributionReceived> context) => Task.CompletedTask;

    public Task Consume(ConsumeContext<ContributionRefunded> context) => Task.CompletedTask;

    public Task Consume(ConsumeContext<ContributionVoided> context) => Task.CompletedTask;

    public Task Consume(ConsumeContext<DonorUpdated> context) => Task.CompletedTask;
}

public sealed record RowCounts(int Donors, int Contributions, int IdempotentRequests, int OutboxMessages, int OutboxStates);

/// <summary>One CampaignFinance app on its own database for a test class.</summary>
public sealed class FinanceFixture : IAsyncLifetime
{
    TestDatabase? _database;

    public FinanceApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("finance");
        App = await new FinanceApp(_database.ConnectionString).StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}

/// <summary>Requests as a client sends them, and the answers read back.</summary>
public static class FinanceRequests
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string NewEmail() => $"donor-{Guid.NewGuid():N}@example.org";

    public static object Registration(string? email = null, string name = "Jordan Avery") => new
    {
        name,
        email = email ?? NewEmail(),
        address = new { line1 = "12 Main Street", line2 = "Apt 4", city = "Springfield", state = "IL", postalCode = "62701-1234" },
        employer = "Springfield Library",
        occupation = "Librarian",
    };

    public static object Contribution(decimal amount = 50m, DateOnly? receivedOn = null, string method = "card", string currency = "USD") =>
        new { amount, currency, receivedOn = receivedOn ?? FinanceApp.Today, method };

    /// <summary>POSTs a JSON body: an object is serialized, a string is sent as it is (to send malformed JSON).</summary>
    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, object body, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var json = body as string ?? JsonSerializer.Serialize(body, Json);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
            request.Headers.TryAddWithoutValidation(IdempotencyKey.HeaderName, idempotencyKey);
        return client.SendAsync(request);
    }

    public static async Task<DonorResponse> RegisterDonorAsync(this HttpClient client, string? email = null, string name = "Jordan Avery")
    {
        var response = await client.PostAsync("/donors", Registration(email, name));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
    }

    public static Task<HttpResponseMessage> ContributeAsync(this HttpClient client, Guid donorId, decimal amount = 50m,
        DateOnly? receivedOn = null, string? idempotencyKey = null) =>
        client.PostAsync($"/donors/{donorId}/contributions", Contribution(amount, receivedOn), idempotencyKey);

    public static async Task<ContributionResponse> ContributedAsync(this HttpClient client, Guid donorId, decimal amount, DateOnly receivedOn)
    {
        var response = await client.ContributeAsync(donorId, amount, receivedOn);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ContributionResponse>(Json))!;
    }

    public static Task<HttpResponseMessage> RefundAsync(this HttpClient client, ContributionResponse contribution, decimal? amount,
        DateOnly refundedOn, string reason = "Donor asked for it back", string? idempotencyKey = null) =>
        client.PostAsync($"/donors/{contribution.DonorId}/contributions/{contribution.Id}/refunds",
            new { amount, refundedOn, reason }, idempotencyKey);

    public static Task<HttpResponseMessage> VoidAsync(this HttpClient client, ContributionResponse contribution, string reason = "Entered twice") =>
        client.PostAsync($"/donors/{contribution.DonorId}/contributions/{contribution.Id}/void", new { reason });

    /// <summary>The title and error field names of a 422 problem.</summary>
    public static async Task<(string? Title, IReadOnlyCollection<string> Fields)> RuleBrokenAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var fields = problem.RootElement.TryGetProperty("errors", out var errors) ? errors.EnumerateObject().Select(e => e.Name).ToList() : [];
        return (problem.RootElement.GetProperty("title").GetString(), fields);
    }

    /// <summary>The field names of a 400 validation problem.</summary>
    public static async Task<IReadOnlyCollection<string>> ValidationErrorFieldsAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.TryGetProperty("errors", out var errors), "the problem lists errors");
        return [.. errors.EnumerateObject().Select(e => e.Name)];
    }
}
