using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.Outbox.Inbox;

/// <summary>
/// Deletes inbox rows of delivered messages once they are older than the duplicate detection window,
/// in batches so one run never holds many locks.
/// </summary>
public sealed partial class InboxCleanupService<TDbContext>(
    IServiceScopeFactory scopeFactory,
    EntityFrameworkOutboxOptions<TDbContext> options,
    TimeProvider clock,
    ILogger<InboxCleanupService<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RemoveExpiredAsync(stoppingToken);
            }
            catch (ObjectDisposedException)
            {
                return; // the host failed to start or is gone: nothing left to clean for
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, exception, typeof(TDbContext).Name);
            }
            await Task.Delay(options.QueryDelay, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Deletes every expired delivered inbox row; returns how many.</summary>
    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var inbox = OutboxTables.For(dbContext).InboxState;
        await dbContext.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)dbContext.Database.GetDbConnection();
        var cutoff = clock.GetUtcNow().UtcDateTime - options.DuplicateDetectionWindow;

        var total = 0;
        while (true)
        {
            await using var command = new NpgsqlCommand($"""
                DELETE FROM {inbox} WHERE {inbox["Id"]} IN (
                    SELECT {inbox["Id"]} FROM {inbox} WHERE {inbox["Delivered"]} < $1 ORDER BY {inbox["Delivered"]} LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, connection)
            {
                Parameters = { new NpgsqlParameter { Value = cutoff }, new NpgsqlParameter { Value = options.QueryMessageLimit } },
            };
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < options.QueryMessageLimit)
                return total;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Inbox cleanup of {DbContext} failed; it runs again later.")]
    static partial void LogFailed(ILogger logger, Exception exception, string dbContext);
}
