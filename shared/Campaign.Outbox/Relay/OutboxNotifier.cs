using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Tells every relay that a unit of work committed: this process's relay in memory, the others with one NOTIFY sent after
/// the commit on a connection of its own (<see cref="OutboxNotification.AfterCommit"/>).
/// </summary>
/// <remarks>
/// A transaction with a pending NOTIFY takes a database-wide lock at commit and holds it through the WAL flush, so with the
/// notify trigger every business transaction commits in single file (docs/benchmarks.md, durable mode). Here no business
/// transaction notifies. The NOTIFYs are coalesced: at most one in flight per process, and every commit made while one was in
/// flight is covered by the next; they commit with <c>synchronous_commit = off</c> (a wake-up needs no durability). If one is
/// lost (the database restarts), the relays' poll finds the work. The payload names this process, whose own relay ignores
/// the echo (<see cref="OutboxSignal{TDbContext}.Origin"/>).
/// </remarks>
public sealed partial class OutboxNotifier<TDbContext>(
    IServiceScopeFactory scopeFactory,
    OutboxSignal<TDbContext> signal,
    EntityFrameworkOutboxOptions<TDbContext> options,
    ILogger<OutboxNotifier<TDbContext>> logger)
    where TDbContext : DbContext
{
    int _requested;
    int _running;
    string? _connectionString;
    bool _failing;

    /// <summary>Call after a unit of work committed. Returns at once.</summary>
    public void Committed()
    {
        signal.Wake();
        if (options.Notification != OutboxNotification.AfterCommit)
            return;
        Volatile.Write(ref _requested, 1);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
            _ = Task.Run(NotifyAsync);
    }

    async Task NotifyAsync()
    {
        while (true)
        {
            while (Interlocked.Exchange(ref _requested, 0) == 1)
                await NotifyOnceAsync();

            Volatile.Write(ref _running, 0);
            // A commit that came in after the last check and found us still running: take it, unless another loop did.
            if (Volatile.Read(ref _requested) == 0 || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
                return;
        }
    }

    async Task NotifyOnceAsync()
    {
        try
        {
            _connectionString ??= ConnectionString();
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection)
            {
                Parameters = { new NpgsqlParameter { Value = options.NotificationChannel }, new NpgsqlParameter { Value = signal.Origin } },
            };
            await notify.ExecuteNonQueryAsync();
            _failing = false;
        }
        catch (Exception exception) when (exception is not ObjectDisposedException)
        {
            // Other processes' relays find the work when they poll; say so once per outage, not per commit.
            if (!_failing)
                LogNotifyFailed(logger, exception, typeof(TDbContext).Name);
            _failing = true;
        }
        catch (ObjectDisposedException)
        {
            // The host is gone.
        }
    }

    // A pool of its own whose sessions commit without waiting for the WAL flush: one statement per wake-up, no BEGIN/COMMIT.
    string ConnectionString()
    {
        using var scope = scopeFactory.CreateScope();
        var connectionString = scope.ServiceProvider.GetRequiredService<TDbContext>().Database.GetConnectionString()
            ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} has no connection string to NOTIFY with.");
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Enlist = false };
        builder.Options = $"{builder.Options} -c synchronous_commit=off".Trim();
        return builder.ConnectionString;
    }

    [LoggerMessage(LogLevel.Warning, "Could not notify other relays of a commit in {DbContext}; they find it when they poll.")]
    static partial void LogNotifyFailed(ILogger logger, Exception exception, string dbContext);
}
