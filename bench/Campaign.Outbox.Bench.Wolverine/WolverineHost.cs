using Campaign.Outbox.Bench;
using JasperFx.Resources;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.EntityFrameworkCore;
using Wolverine.Postgresql;
using Wolverine.RabbitMQ;
using Wolverine.Runtime;
using Wolverine.Transports.Sending;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>What a host is built with: the run's database, broker names and Wolverine's durability agent settings.</summary>
sealed record HostSettings(string ConnectionString, string Queue, string Exchange, int RecoveryBatchSize, TimeSpan PollingTime);

/// <summary>
/// One Wolverine service process as the benchmark needs it: EF Core + PostgreSQL message persistence (schema
/// <c>wolverine</c>), RabbitMQ, <see cref="BenchEvent"/> published through the durable outbox, and its handler.
/// </summary>
sealed class WolverineHost : IAsyncDisposable
{
    public const string Schema = "wolverine";
    readonly IHost _host;
    readonly HostSettings _settings;

    WolverineHost(IHost host, HostSettings settings)
    {
        _host = host;
        _settings = settings;
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Cancelled when the host is asked to stop: the host's console lifetime takes over Ctrl+C and SIGTERM from
    /// <c>Console.CancelKeyPress</c> once it runs.
    /// </summary>
    public CancellationToken Stopping => _host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

    public static async Task<WolverineHost> StartAsync(HostSettings settings, Recorder recorder, LogTally logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(recorder);

        // Creates Wolverine's envelope tables and the broker objects at start (the database is new each run).
        builder.Services.AddResourceSetupOnStartup();

        builder.UseWolverine(opts =>
        {
            // One node: Solo starts the durability agent (outbox recovery) here at once instead of waiting for
            // leader election to assign it, and needs no node heartbeats from peers.
            opts.Durability.Mode = DurabilityMode.Solo;
            opts.Durability.RecoveryBatchSize = settings.RecoveryBatchSize;
            opts.Durability.ScheduledJobPollingTime = settings.PollingTime;

            opts.PersistMessagesWithPostgresql(settings.ConnectionString, Schema);
            opts.Services.AddDbContextWithWolverineIntegration<BenchDbContext>(
                db => db.UseNpgsql(settings.ConnectionString), Schema);
            opts.UseEntityFrameworkCoreTransactions();

            // Only the run's own objects on the shared vhost: no per-node reply queue, no shared dead-letter exchange.
            opts.UseRabbitMq(new Uri(Infrastructure.RabbitMq))
                .AutoProvision()
                .DisableDeadLetterQueueing()
                .DisableSystemRequestReplyQueueDeclaration();

            // The event goes to a fanout exchange bound to the queue, with the durable outbox on that sending endpoint.
            // Not straight to the queue: a Wolverine endpoint has one mode for sending and listening, so a durable queue
            // endpoint would also put the listener on the durable inbox (an extra insert per message, which our own
            // benchmark's consumer does not have). The listener keeps RabbitMQ's default, Inline (ack after handling).
            opts.PublishMessage<BenchEvent>()
                .ToRabbitExchange(settings.Exchange, exchange => exchange.BindQueue(settings.Queue))
                .UseDurableOutbox();
            opts.ListenToRabbitQueue(settings.Queue);
        });

        var host = builder.Build();
        await host.StartAsync();
        return new WolverineHost(host, settings);
    }

    /// <summary>
    /// Holds the event's sending back, as Wolverine's circuit breaker does when the broker fails: the exchange endpoint's
    /// durable sending agent is latched (<c>SendingAgent.LatchAndDrainAsync</c>). Transactions still commit their
    /// envelopes to the outgoing table; the flush finds the agent latched and sends nothing (it keeps up to
    /// MaximumEnvelopeRetryStorage = 100 envelopes in memory for the retry and hands the rest to any node, owner_id 0),
    /// and the durability agent's recovery skips a latched destination.
    /// </summary>
    public Task HoldSendingAsync() => SendingAgent().LatchAndDrainAsync();

    /// <summary>
    /// Lets it go through the circuit breaker's own resume path: <c>PauseAsync(TimeSpan.Zero)</c> is the public "pause,
    /// then resume" of the PauseSending error policy, and its resume (<c>ISenderCircuit.ResumeAsync</c>, internal)
    /// unlatches the agent and re-sends the envelopes kept in memory. The rest are sent by the durability agent's outbox
    /// recovery: every ScheduledJobPollingTime it claims up to RecoveryBatchSize owner_id 0 rows of the destination.
    /// (<c>MarkSuccessAsync</c> alone would only unlatch: the 100 kept in memory, owned by this node, would never go.)
    /// </summary>
    public Task ReleaseSendingAsync() => SendingAgent().PauseAsync(TimeSpan.Zero);

    /// <summary>The durable sending agent of the exchange endpoint (built at start, since the route has a subscriber).</summary>
    SendingAgent SendingAgent()
    {
        var runtime = _host.Services.GetRequiredService<IWolverineRuntime>();
        return runtime.Endpoints.ActiveSendingAgents()
            .OfType<SendingAgent>()
            .Single(agent => agent.IsDurable && agent.Destination.ToString().Contains(_settings.Exchange, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
