using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Campaign.Outbox.Relay;

/// <summary>Degraded when messages wait longer than <see cref="EntityFrameworkOutboxOptions.DegradedAfter"/> or an outbox is parked.</summary>
public sealed class OutboxHealthCheck<TDbContext>(OutboxBacklogReader<TDbContext> reader, EntityFrameworkOutboxOptions<TDbContext> options)
    : IHealthCheck
    where TDbContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backlog = await reader.ReadAsync(cancellationToken);
        var data = new Dictionary<string, object>
        {
            ["pending"] = backlog.Pending,
            ["scheduled"] = backlog.Scheduled,
            ["oldestPendingSeconds"] = Math.Round(backlog.OldestAge.TotalSeconds, 1),
            ["parked"] = backlog.Parked,
        };

        if (backlog.Parked > 0)
            return HealthCheckResult.Degraded($"{backlog.Parked} outbox(es) parked after repeated delivery failures.", data: data);
        if (backlog.OldestAge > options.DegradedAfter)
            return HealthCheckResult.Degraded($"The oldest pending outbox message is {backlog.OldestAge.TotalSeconds:0} s old.", data: data);
        return HealthCheckResult.Healthy(data: data);
    }
}
