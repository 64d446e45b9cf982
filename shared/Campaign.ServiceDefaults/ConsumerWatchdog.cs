using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Campaign.ServiceDefaults;

/// <summary>How often the watchdog asks the broker about the service's queues, and how long a queue may wait unconsumed.</summary>
public sealed class ConsumerWatchdogOptions
{
    public const string Section = "Messaging:ConsumerWatchdog";

    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a queue may hold messages with no consumer before the service gives up on itself. Longer than a broker
    /// restart takes MassTransit to reconnect (seconds), short enough that a campaign's donors are not kept waiting.
    /// </summary>
    public TimeSpan StallLimit { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Watches the service's receive queues from the broker's side. When the broker went down while a consumer was delivering
/// what it had published, MassTransit 8.5 left the receive endpoint without its consumer for good while the bus reported
/// healthy (found by the soak: docs/reliability.md). Campaign.Outbox no longer publishes from inside a consume, but nothing
/// in the process would bring such an endpoint back, so this stays as the safety net: a queue that holds messages with no
/// consumer for <see cref="ConsumerWatchdogOptions.StallLimit"/> makes <c>/health/live</c> unhealthy and stops the service
/// with exit code 1; its supervisor (compose's restart policy, Kubernetes, systemd) starts it again, and the new process
/// consumes what waited. The inbox makes the redeliveries harmless.
/// </summary>
public sealed partial class ConsumerWatchdog(
    IConfiguration configuration,
    IOptions<ConsumerWatchdogOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ConsumerWatchdog> logger) : BackgroundService, IReceiveEndpointObserver, IHealthCheck
{
    static readonly TimeSpan HardStopAfter = TimeSpan.FromSeconds(60); // the host's own shutdown timeout is 30 s

    // Queue name -> since when it has held messages with no consumer (null: it has not).
    readonly ConcurrentDictionary<string, DateTimeOffset?> _queues = new(StringComparer.Ordinal);
    readonly ConnectionFactory? _broker = MessagingExtensions.CheckConnection(configuration, "consumer watchdog");
    IConnection? _connection;
    volatile string? _stalled;

    /// <summary>Watches <paramref name="queue"/> from the next check on; the bus's endpoints are added as they start.</summary>
    public void Watch(string queue) => _queues.TryAdd(queue, null);

    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);

        // The bus's own temporary queue lives and dies with its connection; nothing can wait in it unconsumed.
        var address = ready.InputAddress;
        if (address.Scheme is "rabbitmq" or "rabbitmqs" && !address.Query.Contains("temporary=true", StringComparison.OrdinalIgnoreCase))
            Watch(Uri.UnescapeDataString(address.Segments[^1]));
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_stalled is { } queue
            ? HealthCheckResult.Unhealthy($"Queue '{queue}' has held messages with no consumer for {options.Value.StallLimit.TotalSeconds:0} s.")
            : HealthCheckResult.Healthy($"Watching {_queues.Count} queue(s): {string.Join(", ", _queues.Keys.Order(StringComparer.Ordinal))}."));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_broker is null)
            return; // no broker (the in-memory test harness): nothing to watch

        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (await CheckAsync(stoppingToken) is { } stalled)
                {
                    GiveUp(stalled);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Asks the broker about every watched queue once. Returns a queue that has held messages with no consumer for the
    /// stall limit, or null.
    /// </summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        if (_broker is null || _queues.IsEmpty)
            return null;
        try
        {
            if (_connection is not { IsOpen: true })
            {
                _connection?.Dispose();
                _connection = await _broker.ConnectToAnyNodeAsync(configuration, cancellationToken);
            }
            return await CheckQueuesAsync(_connection, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The broker is down or restarting: no consumer can be there, and that is MassTransit's to recover from. The
            // clocks start again once the broker answers.
            foreach (var queue in _queues.Keys)
                _queues[queue] = null;
            LogBrokerUnavailable(logger, exception.GetBaseException().Message);
            return null;
        }
    }

    async Task<string?> CheckQueuesAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            foreach (var queue in _queues.Keys)
            {
                QueueDeclareOk declared;
                try
                {
                    declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
                }
                catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
                {
                    // Deleted (by an operator, or with a broker's data): MassTransit declares it again when it reconnects.
                    // The failed declare closed the channel.
                    _queues[queue] = null;
                    await channel.DisposeAsync();
                    channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    continue;
                }

                if (declared.MessageCount == 0 || declared.ConsumerCount > 0)
                {
                    _queues[queue] = null;
                    continue;
                }
                var since = _queues[queue] ?? now;
                _queues[queue] = since;
                if (now - since >= options.Value.StallLimit)
                    return queue;
                LogUnconsumed(logger, queue, declared.MessageCount, (now - since).TotalSeconds);
            }
            return null;
        }
        finally
        {
            await channel.DisposeAsync();
        }
    }

    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }

    void GiveUp(string queue)
    {
        _stalled = queue;
        LogStalled(logger, queue, options.Value.StallLimit.TotalSeconds);

        // Exit code 1, not 0: a supervisor that restarts only failed processes must restart this one.
        Environment.ExitCode = 1;
        lifetime.StopApplication();

        // The endpoint that stopped consuming may also keep the bus from stopping: if the graceful stop has not ended the
        // process in time, end it anyway, for the supervisor to start a working one.
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(HardStopAfter, clock, lifetime.ApplicationStopped);
            }
            catch (OperationCanceledException)
            {
                return; // stopped gracefully
            }
            LogHardStop(logger, HardStopAfter.TotalSeconds);
            Process.GetCurrentProcess().Kill();
        });
    }

    [LoggerMessage(LogLevel.Warning, "Queue {Queue} holds {Messages} message(s) and has had no consumer for {Seconds:0} s.")]
    static partial void LogUnconsumed(ILogger logger, string queue, uint messages, double seconds);

    [LoggerMessage(LogLevel.Critical, "Queue {Queue} has held messages with no consumer for {Seconds:0} s: its receive endpoint "
        + "stopped consuming. Stopping the service (exit code 1) so that its supervisor starts it again.")]
    static partial void LogStalled(ILogger logger, string queue, double seconds);

    [LoggerMessage(LogLevel.Critical, "The service did not stop within {Seconds:0} s of the consumer watchdog giving up; killing it.")]
    static partial void LogHardStop(ILogger logger, double seconds);

    [LoggerMessage(LogLevel.Debug, "Consumer watchdog cannot reach the broker ({Reason}); it looks again at the next check.")]
    static partial void LogBrokerUnavailable(ILogger logger, string reason);
}
