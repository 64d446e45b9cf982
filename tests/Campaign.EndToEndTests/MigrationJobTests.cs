using System.Diagnostics;
using Campaign.SystemTesting;
using Campaign.Testing;
using Npgsql;

namespace Campaign.EndToEndTests;

/// <summary>
/// <c>dotnet &lt;Service&gt;.dll migrate</c>, what deploy/k8s's migration Job runs: it applies every migration to an empty
/// database and exits 0 without serving anything, so that no instance of a service changes the schema as it starts.
/// </summary>
[Trait("Category", "Faults")]
public sealed class MigrationJobTests
{
    [Theory]
    [InlineData(Service.CampaignFinance)]
    [InlineData(Service.VolunteerCoordinator)]
    [InlineData(Service.Communications)]
    public async Task Migrate_applies_every_migration_to_an_empty_database_and_exits(Service service)
    {
        await using var database = await TestDatabase.CreateAsync($"migrate_{service}");
        var process = new ServiceProcess(service, Path.Combine(CampaignSystem.LogRoot, "migration-job"), new Dictionary<string, string>
        {
            [$"ConnectionStrings__{service}"] = database.ConnectionString,
            ["Database__ApplyMigrations"] = "false", // the job's own argument applies them, not the start-up path
        });
        var start = new ProcessStartInfo("dotnet", [process.Dll, "migrate"])
        {
            WorkingDirectory = Path.GetDirectoryName(process.Dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in process.Settings)
            start.Environment[key] = value;
        using var job = Process.Start(start)!;
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await job.WaitForExitAsync(timeout.Token);

        Assert.True(job.ExitCode == 0, $"migrate exited with {job.ExitCode}:\n{await output}\n{await errors}");
        Assert.DoesNotContain("Now listening on", await output, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var applied = new NpgsqlCommand("""SELECT count(*) FROM "__EFMigrationsHistory" """, connection);
        Assert.True((long)(await applied.ExecuteScalarAsync())! > 0, "no migration recorded in __EFMigrationsHistory");
        await using var outbox = new NpgsqlCommand("""SELECT count(*) FROM "OutboxState" """, connection);
        Assert.Equal(0L, (long)(await outbox.ExecuteScalarAsync())!);
    }
}
