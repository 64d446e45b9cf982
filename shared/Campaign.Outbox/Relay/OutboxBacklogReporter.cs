using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Relay;

/// <summary>Refreshes the backlog figures the metrics report (a scrape never queries the database).</summary>
public sealed partial class OutboxBacklogReporter<TDbContext>(
    OutboxBacklogReader<TDbContext> reader,
    OutboxMetrics metrics,
    EntityFrameworkOutboxOptions<TDbContext> options,
    TimeProvider clock,
    ILogger<OutboxBacklogReporter<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.Report(typeof(TDbContext).Name, await reader.ReadAsync(stoppingToken));
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogBacklogFailed(logger, exception, typeof(TDbContext).Name);
            }
            await Task.Delay(options.BacklogRefreshInterval, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Could not read the outbox backlog of {DbContext}.")]
    static partial void LogBacklogFailed(ILogger logger, Exception exception, string dbContext);
}
