using Npgsql;
using RabbitMQ.Client;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>
/// Where the private PostgreSQL and RabbitMQ are, and the throwaway objects a run makes on them. Read straight from the
/// environment (or the <c>.local/infra.env</c> that <c>deploy/local/infra up</c> writes) rather than through
/// Campaign.Testing, whose references bring MassTransit and Campaign.Outbox into this process.
/// </summary>
static class Infrastructure
{
    public static string PostgresAdmin => Get("CAMPAIGN_PG_ADMIN");

    public static string RabbitMq => Get("ConnectionStrings__RabbitMq");

    static string Get(string key)
    {
        var value = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrEmpty(value))
            return value;
        foreach (var line in InfraFileLines())
        {
            var separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && !line.StartsWith('#') && line[..separator].Trim() == key)
                return line[(separator + 1)..].Trim();
        }
        throw new InvalidOperationException(
            $"'{key}' is not set. Start the private servers (deploy/local/infra up), then: . deploy/local/config.sh && campaign_export_infra_env");
    }

    static IEnumerable<string> InfraFileLines()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, ".local", "infra.env");
            if (File.Exists(path))
                return File.ReadLines(path);
        }
        return [];
    }

    /// <summary>Creates the run's database (and its business table) from the admin connection; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var table = new NpgsqlCommand(BenchDbContext.CreateTableSql, connection);
        await table.ExecuteNonQueryAsync();
        return connectionString;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Deletes the run's queue and exchange (Wolverine declares them but never removes them).</summary>
    public static async Task DeleteBrokerObjectsAsync(string queue, string exchange)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMq), ClientProvidedName = "bench-wolverine-cleanup" };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        await channel.ExchangeDeleteAsync(exchange, ifUnused: false);
    }
}
