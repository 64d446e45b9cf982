using System.Net.Http.Json;
using System.Text.Json;
using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.ServiceDefaults;
using Campaign.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Tests;

/// <summary>The VolunteerCoordinator service on a real database, with MassTransit's in-memory harness instead of RabbitMQ.</summary>
public sealed class VolunteerCoordinatorApp(string connectionString) : WebApplicationFactory<Program>
{
    public CapturedLogs Logs { get; } = new();

    /// <summary>The app's clock, when a test steps it (the saga's deadline).</summary>
    public TimeProvider? Clock { get; init; }

    public ITestHarness Harness => Services.GetTestHarness();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:VolunteerCoordinator", connectionString);
        builder.UseSetting("Database:ApplyMigrations", "true");
        builder.UseLocalIssuer();
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.AddMassTransitTestHarness(bus => bus.AddServiceOutbox<VolunteerCoordinatorDbContext>().AddThankYouCallSaga());
            if (Clock is not null)
                services.AddSingleton(Clock);
        });
    }

    /// <summary>Clients act as a signed-in person with every scope; a test that needs another caller sets its own header.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.Authorize();
    }

    /// <summary>Starts the host (migrations applied, bus and relay running).</summary>
    public async Task<VolunteerCoordinatorApp> StartAsync()
    {
        // MassTransit keeps the current bus's logger factory in an AsyncLocal (LogContext.Current) that leaks into the test's
        // flow, and a new bus adopts it even after the app that owned it was disposed. Start each app with it cleared.
        await Task.Run(async () =>
        {
            LogContext.Current = null;
            _ = Server;
            await Harness.Start();
        });
        return this;
    }

    public async Task<T> QueryAsync<T>(Func<VolunteerCoordinatorDbContext, Task<T>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<VolunteerCoordinatorDbContext>());
    }

    public async Task ArrangeAsync(Action<VolunteerCoordinatorDbContext> arrange)
    {
        ArgumentNullException.ThrowIfNull(arrange);
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VolunteerCoordinatorDbContext>();
        arrange(db);
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Waits until no outbox row is left but scheduled ones: the relay (or a consumer's inbox) has handed every committed message to the bus, so
    /// what the harness lists is all that will be sent.
    /// </summary>
    public Task WaitForOutboxDrainedAsync() =>
        Eventually.Until(() => QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.EnqueueTime == null)), n => n == 0,
            "the outbox is drained (but for thank-you deadlines, scheduled for days later)");

    /// <summary>The inbox rows of a received message (one per consumer).</summary>
    public Task<List<InboxState>> InboxRowsAsync(Guid messageId) =>
        QueryAsync(db => db.Set<InboxState>().AsNoTracking().Where(i => i.MessageId == messageId).ToListAsync());

    /// <summary>
    /// Waits until the consumers finished with the message: consumed and what they published delivered. DonorSecured has two
    /// here, the consumer that creates the call and the thank-you saga.
    /// </summary>
    public Task<List<InboxState>> WaitForInboxDeliveredAsync(Guid messageId, int receiveCount = 1, int consumers = 2) =>
        Eventually.Until(() => InboxRowsAsync(messageId),
            rows => rows.Count == consumers && rows.All(r => r.Delivered is not null && r.ReceiveCount >= receiveCount),
            $"message {messageId} consumed and delivered by {consumers} consumer(s) after {receiveCount} reception(s)");

    /// <summary>Signs a volunteer up through the API and returns its id.</summary>
    public async Task<Guid> SignUpAsync(string? email = null, string[]? skills = null, string name = "Sam Lee")
    {
        using var client = CreateClient();
        using var response = await client.PostAsJsonAsync("/volunteers", new
        {
            name,
            email = email ?? NewEmail(),
            skills = skills ?? ["canvassing"],
            availability = new[] { "weekend-mornings" },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Stores a thank-you call directly (as the consumer would have), optionally assigned and completed.</summary>
    public async Task<Guid> ArrangeCallAsync(Guid? volunteerId = null, bool completed = false, string donorName = "Alex Rivera")
    {
        var now = DateTimeOffset.UtcNow;
        var call = new ThankYouCall
        {
            Id = Guid.CreateVersion7(),
            DonorId = Guid.NewGuid(),
            DonorName = donorName,
            VolunteerId = volunteerId,
            CreatedAt = now,
            AssignedAt = volunteerId is null ? null : now,
            CompletedAt = completed ? now : null,
        };
        await ArrangeAsync(db => db.ThankYouCalls.Add(call));
        return call.Id;
    }

    public Task<ThankYouCall> CallAsync(Guid id) => QueryAsync(db => db.ThankYouCalls.AsNoTracking().SingleAsync(c => c.Id == id));

    public static string NewEmail(string who = "volunteer") => $"{who}-{Guid.NewGuid():N}@example.org";

    public static DonorSecured Donor(Guid donorId, string name = "Alex Rivera") =>
        new(donorId, name, $"donor-{Guid.NewGuid():N}@example.org", 250m, "USD", DateTimeOffset.UtcNow);
}

/// <summary>One app on its own database for a test class.</summary>
public sealed class VolunteerCoordinatorFixture : IAsyncLifetime
{
    TestDatabase? _database;

    public VolunteerCoordinatorApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("volunteers");
        App = await new VolunteerCoordinatorApp(_database.ConnectionString).StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}

/// <summary>An app on a database of its own, for a test whose outcome depends on every row (e.g. who can phone-bank).</summary>
public sealed class IsolatedApp : IAsyncDisposable
{
    TestDatabase _database = null!;

    public VolunteerCoordinatorApp App { get; private set; } = null!;

    public static async Task<IsolatedApp> StartAsync(TimeProvider? clock = null)
    {
        var isolated = new IsolatedApp { _database = await TestDatabase.CreateAsync("volunteers") };
        isolated.App = await new VolunteerCoordinatorApp(isolated._database.ConnectionString) { Clock = clock }.StartAsync();
        return isolated;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await _database.DisposeAsync();
    }
}
