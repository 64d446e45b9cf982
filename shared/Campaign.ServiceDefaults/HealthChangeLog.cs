using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Campaign.ServiceDefaults;

/// <summary>
/// Logs a health check when its status changes, instead of ASP.NET Core's error line for every probe that finds it unhealthy:
/// a readiness probe polled during start-up (the bus not started yet) printed red lines on every first start, and an outage
/// printed one per probe. Here a check that stops being healthy is one warning, and its recovery one information line.
/// </summary>
sealed partial class HealthChangeLog(ILogger<HealthChangeLog> logger) : IHealthCheckPublisher
{
    readonly Dictionary<string, HealthStatus> _last = new(StringComparer.Ordinal);

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_last)
        {
            foreach (var (name, entry) in report.Entries)
            {
                var known = _last.TryGetValue(name, out var before);
                _last[name] = entry.Status;
                if (known ? before == entry.Status : entry.Status == HealthStatus.Healthy)
                    continue;
                if (entry.Status == HealthStatus.Healthy)
                    LogRecovered(logger, name);
                else
                    LogNotHealthy(logger, name, entry.Status, entry.Description ?? entry.Exception?.Message);
            }
        }
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Warning, "Health check {Check} is {Status}: {Description}")]
    static partial void LogNotHealthy(ILogger logger, string check, HealthStatus status, string? description);

    [LoggerMessage(LogLevel.Information, "Health check {Check} is healthy again.")]
    static partial void LogRecovered(ILogger logger, string check);
}
