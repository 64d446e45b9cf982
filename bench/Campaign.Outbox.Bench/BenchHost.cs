using Campaign.Outbox.Configuration;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Bench;

enum OutboxMode
{
    /// <summary>No database: S3 publishes straight to RabbitMQ.</summary>
    None,

    /// <summary>Bus outbox on, relay off (<c>UseBusOutbox(b => b.DisableDeliveryService())</c>).</summary>
    WriteOnly,

    /// <summary>Bus outbox on with its relay running in this process.</summary>
    Relay,
}

/// <summary>Relay settings to try; null keeps Campaign.Outbox's default.</summary>
sealed record RelayTuning(int? Concurrency, int? Batch)
{
    public IEnumerable<string> ToArgs()
    {
        if (Concurrency is { } c)
            yield return $"--relay-concurrency={c}";
        if (Batch is { } b)
            yield return $"--relay-batch={b}";
    }
}

/// <summary>
/// One service process as the benchmark needs it: a MassTransit bus on the private RabbitMQ, optionally the outbox in a
/// <see cref="BenchDbContext"/> and optionally the consumer on its own queue. Names carry the configuration run's id.
/// </summary>
sealed class BenchHost : IAsyncDisposable
{
    public const ushort ConsumerPrefetch = 200;
    readonly IHost _host;

    BenchHost(IHost host, string messageExchange)
    {
        _host = host;
        MessageExchange = messageExchange;
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>The exchange BenchEvent is published to (the run's prefix + MassTransit's name for the type).</summary>
    public string MessageExchange { get; }

    public static async Task<BenchHost> StartAsync(string? connectionString, OutboxMode outbox, string entityPrefix, string? queue,
        Recorder? recorder, LogCounter logs, RelayTuning tuning, OutboxNotification notification = OutboxNotification.AfterCommit)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(RelayMeter.Trace ? LogLevel.Debug : LogLevel.Warning);
        builder.Logging.AddProvider(logs);
        if (recorder is not null)
            builder.Services.AddSingleton(recorder);
        if (connectionString is not null)
            builder.Services.AddDbContext<BenchDbContext>(db => db.UseNpgsql(connectionString));

        var messageExchange = "";
        builder.Services.AddMassTransit(bus =>
        {
            if (queue is not null)
                bus.AddConsumer<BenchConsumer>();

            if (outbox != OutboxMode.None)
            {
                bus.AddEntityFrameworkOutbox<BenchDbContext>(o =>
                {
                    o.UsePostgres();
                    if (tuning.Batch is { } batch)
                        o.QueryMessageLimit = batch;
                    o.UseBusOutbox(b =>
                    {
                        b.Notification = notification;
                        if (tuning.Concurrency is { } concurrency)
                            b.DeliveryConcurrency = concurrency;
                        if (outbox == OutboxMode.WriteOnly)
                            b.DisableDeliveryService();
                    });
                });
            }

            bus.UsingRabbitMq((context, rabbit) =>
            {
                Rabbit.ConfigureHost(rabbit);
                var names = new PrefixEntityNameFormatter(rabbit.MessageTopology.EntityNameFormatter, entityPrefix);
                rabbit.MessageTopology.SetEntityNameFormatter(names);
                messageExchange = names.FormatEntityName<BenchEvent>();
                if (queue is not null)
                {
                    rabbit.ReceiveEndpoint(queue, e =>
                    {
                        e.AutoDelete = true;
                        e.PrefetchCount = ConsumerPrefetch;
                        e.ConfigureConsumer<BenchConsumer>(context);
                    });
                }
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, timeout.Token);
        return new BenchHost(host, messageExchange);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}
