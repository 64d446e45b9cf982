using Campaign.ServiceDefaults;
using Campaign.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Campaign.ResilienceTests.Support;

/// <summary>
/// A service in this process on a database of the test's (migrations applied), with MassTransit's in-memory harness instead
/// of RabbitMQ. <typeparamref name="TEntryPoint"/> is the service's Program (each service's lives under its own alias).
/// </summary>
public sealed class InProcessService<TEntryPoint, TDbContext>(string connectionName, string connectionString,
    IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
    where TDbContext : DbContext
{
    public CapturedLogs Logs { get; } = new();

    public ITestHarness Harness => Services.GetTestHarness();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting($"ConnectionStrings:{connectionName}", connectionString);
        builder.UseSetting("Database:ApplyMigrations", "true");
        builder.UseLocalIssuer();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness(bus => bus.AddServiceOutbox<TDbContext>()));
    }

    /// <summary>Clients act as a signed-in person with every scope; a request that sets its own Authorization header keeps it.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.Authorize();
    }

    public async Task<InProcessService<TEntryPoint, TDbContext>> StartAsync()
    {
        // MassTransit keeps the current bus's logger factory in an AsyncLocal that a later bus adopts: start on a clean flow.
        await Task.Run(async () =>
        {
            LogContext.Current = null;
            _ = Server;
            await Harness.Start();
        });
        return this;
    }
}
