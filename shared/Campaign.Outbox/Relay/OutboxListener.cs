using Campaign.Outbox.Configuration;
using Campaign.Outbox.Delivery;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>LISTENs on the outbox's channel: a commit in any process wakes this instance's relay.</summary>
public sealed partial class OutboxListener<TDbContext>(
    IServiceScopeFactory scopeFactory,
    OutboxSignal<TDbContext> signal,
    EntityFrameworkOutboxOptions<TDbContext> options,
    TimeProvider clock,
    ILogger<OutboxListener<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Keepalives make a dead server visible, so the listener reconnects instead of waiting forever. Not pooled: a
                // LISTEN connection returned half-broken by a stopped relay stalled the next one's LISTEN for 17-30 s.
                var builder = new NpgsqlConnectionStringBuilder(ConnectionString()) { KeepAlive = 10, Enlist = false, Pooling = false };
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, e) =>
                {
                    if (e.Payload != signal.Origin)
                        signal.Wake();
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {options.QuotedChannel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);

                // Whatever committed while nobody listened is picked up now.
                signal.Wake();
                delay = TimeSpan.Zero;
                while (true)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the host failed to start or is gone: nothing left to relay for
            }
            catch (Exception exception)
            {
                delay = Backoff.Next(delay);
                LogListenerLost(logger, exception, typeof(TDbContext).Name, delay.TotalSeconds);
                await Task.Delay(delay, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    string ConnectionString()
    {
        using var scope = scopeFactory.CreateScope();
        return scope.ServiceProvider.GetRequiredService<TDbContext>().Database.GetConnectionString()
            ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} has no connection string to LISTEN with.");
    }

    [LoggerMessage(LogLevel.Warning, "Outbox listener for {DbContext} lost its connection; polling until it reconnects in {DelaySeconds:0.0} s.")]
    static partial void LogListenerLost(ILogger logger, Exception exception, string dbContext, double delaySeconds);
}
