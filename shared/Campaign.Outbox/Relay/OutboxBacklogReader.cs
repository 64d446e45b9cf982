using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>Reads how much waits in the bus outbox: pending messages, the oldest unit of work, parked units of work.</summary>
public sealed class OutboxBacklogReader<TDbContext>(IServiceScopeFactory scopeFactory, TimeProvider clock)
    where TDbContext : DbContext
{
    public async Task<OutboxBacklog> ReadAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var tables = OutboxTables.For(dbContext);
        await dbContext.Database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT (SELECT count(*) FROM {tables.OutboxMessage} WHERE "OutboxId" IS NOT NULL),
                   (SELECT min("Created") FROM {tables.OutboxState} WHERE "Parked" IS NULL),
                   (SELECT count(*) FROM {tables.OutboxState} WHERE "Parked" IS NOT NULL)
            """, (NpgsqlConnection)dbContext.Database.GetDbConnection());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);

        var now = clock.GetUtcNow();
        var oldest = reader.IsDBNull(1) ? TimeSpan.Zero : now.UtcDateTime - DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc);
        return new OutboxBacklog(reader.GetInt64(0), oldest < TimeSpan.Zero ? TimeSpan.Zero : oldest, reader.GetInt64(2), now);
    }
}
