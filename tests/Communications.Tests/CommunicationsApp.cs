using Campaign.ServiceDefaults;
using Campaign.Testing;
using Communications.Data;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Communications.Tests;

/// <summary>
/// The Communications service on a real database, with MassTransit's in-memory harness instead of RabbitMQ, mailing
/// through the real local SMTP server unless <paramref name="settings"/> say otherwise. Short sender intervals.
/// </summary>
public sealed class CommunicationsApp(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<Program>
{
    public CapturedLogs Logs { get; } = new();

    public ITestHarness Harness => Services.GetTestHarness();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Communications", connectionString);
        builder.UseSetting("Database:ApplyMigrations", "true");
        builder.UseLocalIssuer();
        builder.UseSetting("Smtp:Host", TestInfrastructure.Get("CAMPAIGN_SMTP_HOST"));
        builder.UseSetting("Smtp:Port", TestInfrastructure.Get("CAMPAIGN_SMTP_PORT"));
        builder.UseSetting("Tls:TrustedCaFile", TestInfrastructure.Get("Tls__TrustedCaFile"));
        builder.UseSetting("Mail:PollInterval", "00:00:00.200");
        builder.UseSetting("Mail:RetryDelay", "00:00:00.200");
        builder.UseSetting("Mail:MaxRetryDelay", "00:00:02");
        builder.UseSetting("Mail:SendTimeout", "00:00:15");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);

        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness(bus => bus.AddServiceOutbox<CommunicationsDbContext>()));
    }

    /// <summary>Clients act as a signed-in person with every scope; a test that needs another caller sets its own header.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.Authorize();
    }

    /// <summary>Starts the host (migrations applied, bus and sender running).</summary>
    public async Task<CommunicationsApp> StartAsync()
    {
        // MassTransit keeps the current bus's logger factory in an AsyncLocal (LogContext.Current) that leaks into the test's
        // flow (e.g. from Bus.Publish), and a new bus adopts it: after an earlier app of the same test was disposed, that
        // factory is disposed too. Start each app on a copy of the flow with it cleared.
        await Task.Run(async () =>
        {
            LogContext.Current = null;
            _ = Server;
            await Harness.Start();
        });
        return this;
    }

    public async Task<T> QueryAsync<T>(Func<CommunicationsDbContext, Task<T>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommunicationsDbContext>());
    }

    public Task<List<OutboundMessage>> MessagesAboutAsync(Guid sourceId) =>
        QueryAsync(db => db.OutboundMessages.AsNoTracking().Include(m => m.SendAttempts)
            .Where(m => m.SourceEventKey == sourceId.ToString()).ToListAsync());

    /// <summary>Waits until the one message about <paramref name="sourceId"/> satisfies <paramref name="condition"/>.</summary>
    public async Task<OutboundMessage> WaitForMessageAsync(Guid sourceId, Func<OutboundMessage, bool> condition, string because,
        TimeSpan? timeout = null)
    {
        var messages = await Eventually.Until(() => MessagesAboutAsync(sourceId), m => m.Count == 1 && condition(m[0]), because, timeout);
        return messages[0];
    }

    /// <summary>
    /// Waits until the harness saw <paramref name="expected"/> messages of type <typeparamref name="T"/> matching
    /// <paramref name="filter"/> consumed (redeliveries skipped by the inbox included).
    /// </summary>
    public async Task<int> WaitConsumedAsync<T>(Func<IReceivedMessage<T>, bool> filter, int expected)
        where T : class =>
        await Eventually.Until(() => Task.FromResult(Harness.Consumed.Select<T>(m => filter(m)).Count()), n => n >= expected,
            $"{expected} {typeof(T).Name} consumed");
}

/// <summary>One Communications app on its own database for a test class.</summary>
public sealed class CommunicationsFixture : IAsyncLifetime
{
    TestDatabase? _database;

    public CommunicationsApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("communications");
        App = await new CommunicationsApp(_database.ConnectionString).StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
