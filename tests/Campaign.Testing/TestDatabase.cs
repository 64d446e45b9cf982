using Npgsql;

namespace Campaign.Testing;

/// <summary>
/// A throwaway PostgreSQL database on the private server, so each test class (or test) has its own data.
/// Dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>Connection string to this database (admin role, which owns it).</summary>
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var name = $"test_{prefix.ToLowerInvariant()}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 38)];
        await using (var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresAdmin) { Database = name };
        return new TestDatabase(name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin);
        await admin.OpenAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse
                && attempt < 10)
            {
                // A server process the admin role may not end (autovacuum, busy with the rows a test just deleted) is still in
                // the database; it is gone within moments.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }
}
