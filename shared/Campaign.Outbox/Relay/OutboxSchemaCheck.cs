using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Says what is wrong with the outbox's database instead of letting the first message fail or wait for the poll: a
/// DbContext that is not on PostgreSQL stops the start; outbox tables or columns that the model maps but the database lacks,
/// and a missing trigger (the ordering trigger; the notify trigger where that wake-up is chosen), make the service Unhealthy (check <c>outbox-schema-&lt;DbContext&gt;</c>) with a description
/// that names them, and are logged once at start. A check that passed is not repeated: the schema does not change under a
/// running service.
/// </summary>
public sealed partial class OutboxSchemaCheck<TDbContext>(
    IServiceScopeFactory scopes,
    EntityFrameworkOutboxOptions<TDbContext> options,
    ILogger<OutboxSchemaCheck<TDbContext>> logger)
    : IHealthCheck, IHostedService
    where TDbContext : DbContext
{
    volatile bool _passed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        if (!db.Database.IsNpgsql())
        {
            throw new InvalidOperationException(
                $"Campaign.Outbox stores {typeof(TDbContext).Name}'s outbox in PostgreSQL, but the DbContext uses {db.Database.ProviderName}: configure it with UseNpgsql.");
        }

        // Told at start, not only to the readiness probe; a database that is not up yet is for the migrations to wait for.
        try
        {
            if (await ProblemsAsync(db, cancellationToken) is { Count: > 0 } problems)
                LogProblems(logger, typeof(TDbContext).Name, string.Join(" ", problems));
        }
        catch (NpgsqlException exception)
        {
            LogNotChecked(logger, typeof(TDbContext).Name, exception.GetBaseException().Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_passed)
            return HealthCheckResult.Healthy();
        await using var scope = scopes.CreateAsyncScope();
        var problems = await ProblemsAsync(scope.ServiceProvider.GetRequiredService<TDbContext>(), cancellationToken);
        if (problems.Count > 0)
            return HealthCheckResult.Unhealthy(string.Join(" ", problems));
        _passed = true;
        return HealthCheckResult.Healthy();
    }

    /// <summary>Each problem as a sentence naming the table, column or trigger; empty when the outbox can work.</summary>
    async Task<IReadOnlyList<string>> ProblemsAsync(TDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var problems = new List<string>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
            await connection.OpenAsync(cancellationToken);
        try
        {
            foreach (var entity in new[] { typeof(InboxState), typeof(OutboxState), typeof(OutboxMessage) })
            {
                var type = db.Model.FindEntityType(entity);
                if (type is null)
                {
                    problems.Add($"{typeof(TDbContext).Name} does not map {entity.Name}: call modelBuilder.AddTransactionalOutboxEntities().");
                    continue;
                }
                var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
                var columns = await ColumnsAsync(connection, table, cancellationToken);
                if (columns.Count == 0)
                {
                    problems.Add($"Table {Name(table)} does not exist: apply the migrations that create the outbox tables.");
                    continue;
                }
                var missing = type.GetProperties().Select(p => p.GetColumnName(table)).OfType<string>().Where(c => !columns.Contains(c)).ToList();
                if (missing.Count > 0)
                    problems.Add($"Table {Name(table)} lacks column(s) {string.Join(", ", missing)} that the model maps: apply the pending migrations.");
            }

            if (problems.Count == 0)
            {
                var state = OutboxTables.For(db).OutboxState;
                var table = StoreObjectIdentifier.Table(state.Name, state.Schema);
                if (!await HasTriggerAsync(connection, table, "outbox_state_ordering", cancellationToken))
                {
                    problems.Add($"Table {state} has no outbox_state_ordering trigger: units of work with an ordering key would not be "
                        + "delivered in commit order. Add migrationBuilder.AddOutboxOrderingTrigger(TargetModel!) to a migration.");
                }
                if (options.Notification == OutboxNotification.Trigger && !await HasTriggerAsync(connection, table, "outbox_state_notify", cancellationToken))
                {
                    problems.Add($"Table {state} has no outbox_state_notify trigger, and the outbox is set to be woken by it: other instances "
                        + "learn of commits only when they poll. Add migrationBuilder.AddOutboxNotifyTrigger() to a migration.");
                }
            }
        }
        finally
        {
            if (opened)
                await connection.CloseAsync();
        }
        return problems;
    }

    static async Task<HashSet<string>> ColumnsAsync(NpgsqlConnection connection, StoreObjectIdentifier table, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("""
            SELECT column_name FROM information_schema.columns
            WHERE table_name = $1 AND table_schema = coalesce($2, current_schema())
            """, connection);
        query.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        query.Parameters.Add(new NpgsqlParameter { Value = (object?)table.Schema ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var columns = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            columns.Add(reader.GetString(0));
        return columns;
    }

    static async Task<bool> HasTriggerAsync(NpgsqlConnection connection, StoreObjectIdentifier table, string trigger, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("""
            SELECT EXISTS (
                SELECT FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE t.tgname = $3 AND c.relname = $1 AND n.nspname = coalesce($2, current_schema()))
            """, connection);
        query.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        query.Parameters.Add(new NpgsqlParameter { Value = (object?)table.Schema ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        query.Parameters.Add(new NpgsqlParameter { Value = trigger });
        return (bool)(await query.ExecuteScalarAsync(cancellationToken))!;
    }

    static string Name(StoreObjectIdentifier table) => table.Schema is null ? $"\"{table.Name}\"" : $"\"{table.Schema}\".\"{table.Name}\"";

    [LoggerMessage(LogLevel.Error, "The outbox of {DbContext} cannot work as configured: {Problems}")]
    static partial void LogProblems(ILogger logger, string dbContext, string problems);

    [LoggerMessage(LogLevel.Warning, "The outbox tables of {DbContext} could not be checked at start ({Reason}); the readiness check will.")]
    static partial void LogNotChecked(ILogger logger, string dbContext, string reason);
}
