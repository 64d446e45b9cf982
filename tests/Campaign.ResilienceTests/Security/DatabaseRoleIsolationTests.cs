using Campaign.Testing;
using Npgsql;

namespace Campaign.ResilienceTests.Security;

/// <summary>
/// Each service's database role reaches its own database only: it cannot connect to another service's database (or the
/// maintenance databases), cannot reach into one from its own (no dblink or foreign tables), and holds no privilege that
/// would read around the rules (superuser, pg_read_all_data, server files or programs).
/// </summary>
public sealed class DatabaseRoleIsolationTests
{
    public static TheoryData<string, string> OtherDatabases()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in Services)
        {
            foreach (var other in Services.Where(o => o != service))
                data.Add(service, DatabaseOf(other));
            data.Add(service, "postgres");
            data.Add(service, "template1");
        }
        return data;
    }

    static readonly string[] Services = ["CampaignFinance", "VolunteerCoordinator", "Communications"];

    static string OwnConnectionString(string service) => TestInfrastructure.Get($"ConnectionStrings__{service}");

    static string DatabaseOf(string service) => new NpgsqlConnectionStringBuilder(OwnConnectionString(service)).Database!;

    [Theory]
    [MemberData(nameof(OtherDatabases))]
    public async Task A_service_role_cannot_connect_to_another_database(string service, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(OwnConnectionString(service)) { Database = database, Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        // 42501 insufficient_privilege: "permission denied for database".
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Theory]
    [InlineData("CampaignFinance")]
    [InlineData("VolunteerCoordinator")]
    [InlineData("Communications")]
    public async Task A_service_role_cannot_read_another_services_tables_from_its_own_database(string service)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(OwnConnectionString(service)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();

        // The connection works, in its own database (on a fresh machine the service has not migrated it yet: no tables needed).
        Assert.Equal(DatabaseOf(service), await ScalarAsync<string>(connection, "SELECT current_database()"));

        // Another service's tables are not in this database, and PostgreSQL has no cross-database queries.
        foreach (var other in Services.Where(o => o != service))
        {
            var table = other switch { "CampaignFinance" => "Donors", "VolunteerCoordinator" => "Volunteers", _ => "OutboundMessages" };
            var crossDatabase = await Assert.ThrowsAsync<PostgresException>(() =>
                ScalarAsync<long>(connection, $"""SELECT count(*) FROM {DatabaseOf(other)}.public."{table}" """));
            Assert.Contains(crossDatabase.SqlState, new[] { PostgresErrorCodes.FeatureNotSupported, PostgresErrorCodes.UndefinedTable });
        }

        // Nor can it install a way round that (dblink, postgres_fdw are not trusted extensions).
        foreach (var extension in new[] { "dblink", "postgres_fdw" })
        {
            var install = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(connection, $"CREATE EXTENSION {extension}"));
            Assert.Contains(install.SqlState, new[] { PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.FeatureNotSupported, PostgresErrorCodes.UndefinedFile });
        }
        Assert.Equal(0L, await ScalarAsync<long>(connection,
            "SELECT count(*) FROM pg_extension WHERE extname IN ('dblink', 'postgres_fdw')"));

        // And it holds no role or attribute that reads around the rules.
        Assert.False(await ScalarAsync<bool>(connection, "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles WHERE rolname = current_user"));
        foreach (var powerful in new[] { "pg_read_all_data", "pg_write_all_data", "pg_read_server_files", "pg_execute_server_program", "pg_write_server_files" })
            Assert.False(await ScalarAsync<bool>(connection, $"SELECT pg_has_role(current_user, '{powerful}', 'MEMBER')"), $"{service} is a member of {powerful}");
    }

    [Fact]
    public void The_services_use_three_different_roles_and_databases()
    {
        var roles = Services.Select(s => new NpgsqlConnectionStringBuilder(OwnConnectionString(s)).Username).ToList();
        var databases = Services.Select(DatabaseOf).ToList();
        Assert.Equal(3, roles.Distinct().Count());
        Assert.Equal(3, databases.Distinct().Count());
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresAdmin).Username, roles);
    }

    static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
