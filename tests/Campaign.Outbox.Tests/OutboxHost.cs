using Campaign.Outbox.Configuration;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Tests;

/// <summary>What runs in one test host: a relay, consumers, neither or both.</summary>
public sealed class OutboxHostOptions
{
    public bool Relay { get; set; } = true;

    /// <summary>False: only the inbox on the endpoints (<c>UseEntityFrameworkOutbox</c>), no <c>UseBusOutbox()</c>.</summary>
    public bool BusOutbox { get; set; } = true;
    public bool Recorder { get; set; } = true;
    public bool Acknowledger { get; set; }
    public Action<IEntityFrameworkOutboxConfigurator>? Outbox { get; set; }
    public ILoggerProvider? Logs { get; set; }

    /// <summary>The database's naming (schema, snake_case); the schema must have been created with the same.</summary>
    public PledgeNaming Naming { get; set; } = PledgeNaming.Default;

    /// <summary>This host's clock (a host whose clock is off, for instance).</summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>Immediate retries on every endpoint (optimistic sagas under contention need more than the default).</summary>
    public int Retries { get; set; } = 2;

    /// <summary>More services for the host's container.</summary>
    public Action<IServiceCollection>? Services { get; set; }

    /// <summary>More consumers or sagas for the host's bus.</summary>
    public Action<IBusRegistrationConfigurator>? Bus { get; set; }

    /// <summary>Names more exchanges per topic (given the topic's prefix), as PledgeRecorded's, so parallel tests stay apart.</summary>
    public Action<IRabbitMqBusFactoryConfigurator, string>? Topology { get; set; }
}

/// <summary>
/// A MassTransit host on the private RabbitMQ with the outbox in a <see cref="PledgeDbContext"/> on a real database:
/// the stand-in for one service process (its own container, so its in-process signals reach no other host).
/// </summary>
public sealed class OutboxHost : IAsyncDisposable
{
    readonly IHost _host;

    OutboxHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    /// <summary>Names are unique per test process, so a run never meets the queues or messages of an earlier one.</summary>
    static readonly string RunSuffix = Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// Starts a host. Hosts given the same <paramref name="topic"/> share exchanges and queues (like instances of one
    /// service); other topics are isolated, so parallel tests never see each other's traffic.
    /// </summary>
    public static async Task<OutboxHost> StartAsync(string connectionString, string topic, Received received,
        Action<OutboxHostOptions>? configure = null)
    {
        var options = new OutboxHostOptions();
        configure?.Invoke(options);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("OUTBOX_TEST_LOGS") == "1")
            builder.Logging.AddSimpleConsole();
        if (options.Logs is not null)
            builder.Logging.AddProvider(options.Logs);
        builder.Services.AddSingleton(received);
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true); // queues are bound before a test publishes
        builder.Services.AddSingleton(options.Naming);
        builder.Services.AddDbContext<PledgeDbContext>(db => options.Naming.Apply(db, connectionString));
        if (options.Clock is not null)
            builder.Services.AddSingleton(options.Clock);
        options.Services?.Invoke(builder.Services);
        builder.Services.AddMassTransit(bus =>
        {
            if (options.Recorder)
                bus.AddConsumer<PledgeRecordedRecorder>();
            if (options.Acknowledger)
            {
                bus.AddConsumer<PledgeAcknowledger>();
                bus.AddConsumer<PledgeAcknowledgedRecorder>();
            }
            options.Bus?.Invoke(bus);

            bus.AddEntityFrameworkOutbox<PledgeDbContext>(outbox =>
            {
                outbox.UsePostgres();
                outbox.QueryDelay = TimeSpan.FromMinutes(5); // commits must wake the relay; the poll must not be what delivers
                if (options.BusOutbox)
                {
                    outbox.UseBusOutbox(b =>
                    {
                        if (!options.Relay)
                            b.DisableDeliveryService();
                    });
                }
                options.Outbox?.Invoke(outbox);
            });

            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    rabbit.SetQueueArgument("x-expires", 60 * 1000); // test queues vanish after an idle minute
                endpoint.ConcurrentMessageLimit = 1; // one at a time, so arrival order is the order the broker received
                endpoint.UseMessageRetry(r => r.Immediate(options.Retries));
                endpoint.UseEntityFrameworkOutbox<PledgeDbContext>(context);
            });

            bus.UsingRabbitMq((context, rabbit) =>
            {
                var uri = new Uri(TestInfrastructure.RabbitMq);
                var user = uri.UserInfo.Split(':', 2);
                rabbit.Host(uri.Host, (ushort)uri.Port, Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')), h =>
                {
                    h.Username(Uri.UnescapeDataString(user[0]));
                    h.Password(Uri.UnescapeDataString(user[1]));
                });
                var prefix = $"{topic}-{RunSuffix}";
                rabbit.Message<PledgeRecorded>(m => m.SetEntityName($"{prefix}-pledge-recorded"));
                rabbit.Message<PledgeAcknowledged>(m => m.SetEntityName($"{prefix}-pledge-acknowledged"));
                options.Topology?.Invoke(rabbit, prefix);
                rabbit.ConfigureEndpoints(context, new KebabCaseEndpointNameFormatter(prefix, false));
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        return new OutboxHost(host);
    }

    /// <summary>A database of its own with the outbox schema, for a test whose relay passes must see only its own rows.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(string prefix, PledgeNaming? naming = null)
    {
        var database = await TestDatabase.CreateAsync(prefix);
        await CreateSchemaAsync(database.ConnectionString, naming);
        return database;
    }

    /// <summary>Creates the schema (as a service's migration would: tables and the ordering trigger) in a fresh database.</summary>
    public static async Task CreateSchemaAsync(string connectionString, PledgeNaming? naming = null)
    {
        naming ??= PledgeNaming.Default;
        await using var db = new PledgeDbContext(naming.Options(connectionString), naming);
        await db.Database.EnsureCreatedAsync();
        await db.Database.ExecuteSqlRawAsync(OutboxMigrationBuilderExtensions.OrderingTriggerSql(db.Model));
    }

    /// <summary>One unit of work as an HTTP handler would do it: a scope, its DbContext and its publish endpoint.</summary>
    public async Task WriteAsync(Func<PledgeDbContext, IPublishEndpoint, Task> work)
    {
        await using var scope = Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<PledgeDbContext>(), scope.ServiceProvider.GetRequiredService<IPublishEndpoint>());
    }

    /// <summary>Records one pledge and publishes <paramref name="count"/> PledgeRecorded in one transaction.</summary>
    public Task RecordPledgeAsync(Guid run, int count = 1, Guid? pledgeId = null) => WriteAsync(async (db, publish) =>
    {
        var pledge = new Pledge { Id = pledgeId ?? Guid.NewGuid(), Amount = 25m };
        db.Pledges.Add(pledge);
        for (var i = 0; i < count; i++)
            await publish.Publish(new PledgeRecorded(run, pledge.Id, i));
        await db.SaveChangesAsync();
    });

    public async Task<T> QueryAsync<T>(Func<PledgeDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PledgeDbContext>());
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
