using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>A unit of work the relay stopped trying after repeated failures.</summary>
public sealed record ParkedOutbox(Guid OutboxId, DateTime Created, DateTime Parked, int DeliveryAttempts, string? LastError, long Messages);

/// <summary>Lists parked outboxes and releases them for another round of delivery.</summary>
public sealed class ParkedOutboxes<TDbContext>(
    IServiceScopeFactory scopeFactory,
    OutboxSignal<TDbContext> signal,
    EntityFrameworkOutboxOptions<TDbContext> options)
    where TDbContext : DbContext
{
    public async Task<IReadOnlyList<ParkedOutbox>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var (connection, tables) = await OpenAsync(scope, cancellationToken);
        var (s, m) = (tables.OutboxState, tables.OutboxMessage);
        await using var command = new NpgsqlCommand($"""
            SELECT s.{s["OutboxId"]}, s.{s["Created"]}, s.{s["Parked"]}, s.{s["DeliveryAttempts"]}, s.{s["LastError"]},
                   (SELECT count(*) FROM {m} m WHERE m.{m["OutboxId"]} = s.{s["OutboxId"]})
            FROM {s} s WHERE s.{s["Parked"]} IS NOT NULL ORDER BY s.{s["Parked"]} LIMIT $1
            """, connection) { Parameters = { new NpgsqlParameter { Value = limit } } };

        var parked = new List<ParkedOutbox>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            parked.Add(new ParkedOutbox(reader.GetGuid(0), reader.GetDateTime(1), reader.GetDateTime(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5)));
        }
        return parked;
    }

    /// <summary>Un-parks one outbox and wakes every relay instance. False when no such parked outbox exists.</summary>
    public async Task<bool> ReleaseAsync(Guid outboxId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var (connection, tables) = await OpenAsync(scope, cancellationToken);
        var s = tables.OutboxState;
        await using var command = new NpgsqlCommand($"""
            WITH released AS (
                UPDATE {s} SET {s["Parked"]} = NULL, {s["DeliveryAttempts"]} = 0, {s["NextAttemptAt"]} = NULL, {s["LockId"]} = '{Guid.Empty}'
                WHERE {s["OutboxId"]} = $1 AND {s["Parked"]} IS NOT NULL RETURNING 1)
            SELECT count(*), pg_notify($2, '') FROM released
            """, connection)
        {
            Parameters = { new NpgsqlParameter { Value = outboxId }, new NpgsqlParameter { Value = options.NotificationChannel } },
        };
        var released = (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
        if (released)
            signal.Wake();
        return released;
    }

    static async Task<(NpgsqlConnection, OutboxTables)> OpenAsync(AsyncServiceScope scope, CancellationToken cancellationToken)
    {
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await dbContext.Database.OpenConnectionAsync(cancellationToken);
        return ((NpgsqlConnection)dbContext.Database.GetDbConnection(), OutboxTables.For(dbContext));
    }
}
