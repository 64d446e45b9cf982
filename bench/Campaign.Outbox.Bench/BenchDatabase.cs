using Campaign.Testing;
using Npgsql;

namespace Campaign.Outbox.Bench;

/// <summary>
/// A throwaway database for one configuration run (<see cref="TestDatabase"/>), closed to other roles (the shared server
/// has other engineers' services on it), and dropped with retries: a drop that fails is reported, never fatal.
/// </summary>
sealed class BenchDatabase : IAsyncDisposable
{
    readonly TestDatabase _database;

    BenchDatabase(TestDatabase database)
    {
        _database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 }.ConnectionString;
    }

    /// <summary>
    /// With Npgsql's automatic preparation, as the services run (<c>AddServiceDatabase</c>): both sides of every comparison
    /// send prepared statements, so a ratio is not a measure of PostgreSQL parsing the longer transaction's statements again.
    /// </summary>
    public string ConnectionString { get; }

    public static async Task<BenchDatabase> CreateAsync(string prefix)
    {
        var database = await TestDatabase.CreateAsync(prefix);
        await using var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin);
        await admin.OpenAsync();
        await using var revoke = new NpgsqlCommand($"REVOKE CONNECT ON DATABASE \"{database.Name}\" FROM PUBLIC", admin);
        await revoke.ExecuteNonQueryAsync();
        return new BenchDatabase(database);
    }

    public async ValueTask DisposeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _database.DisposeAsync();
                return;
            }
            catch (PostgresException exception) when (attempt < 5)
            {
                await Console.Error.WriteLineAsync($"[bench] dropping {_database.Name} failed ({exception.SqlState}: {exception.MessageText}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
            catch (PostgresException exception)
            {
                await Console.Error.WriteLineAsync($"[bench] could not drop {_database.Name}: {exception.MessageText}. Drop it by hand.");
                return;
            }
        }
    }
}
