using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Reads how much waits in the bus outbox: pending messages, the oldest unit of work, parked units of work. The age is the
/// database's clock against the database's clock, so a host with a skewed clock reports no false lag. Messages scheduled
/// for later are not pending (their unit's Created is their due time) until they fall due.
/// </summary>
public sealed class OutboxBacklogReader<TDbContext>(IServiceScopeFactory scopeFactory, TimeProvider clock)
    where TDbContext : DbContext
{
    public async Task<OutboxBacklog> ReadAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var tables = OutboxTables.For(dbContext);
        var (s, m) = (tables.OutboxState, tables.OutboxMessage);
        await dbContext.Database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT due, greatest(clock_timestamp() - (SELECT min({s["Created"]}) FROM {s} WHERE {s["Parked"]} IS NULL), interval '0'),
                   (SELECT count(*) FROM {s} WHERE {s["Parked"]} IS NOT NULL), later
            FROM (SELECT count(*) FILTER (WHERE {m["EnqueueTime"]} IS NULL OR {m["EnqueueTime"]} <= clock_timestamp()) AS due,
                         count(*) FILTER (WHERE {m["EnqueueTime"]} > clock_timestamp()) AS later
                  FROM {m} WHERE {m["OutboxId"]} IS NOT NULL) messages
            """, (NpgsqlConnection)dbContext.Database.GetDbConnection());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var oldest = reader.IsDBNull(1) ? TimeSpan.Zero : reader.GetTimeSpan(1);
        return new OutboxBacklog(reader.GetInt64(0), oldest, reader.GetInt64(2), clock.GetUtcNow()) { Scheduled = reader.GetInt64(3) };
    }
}
