using Campaign.Outbox.Configuration;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>Start-up tells the truth: a wrong provider, a missing trigger or a missing column is named, not found by the first message.</summary>
public sealed class OutboxSchemaTests
{
    const string Check = "outbox-schema-PledgeDbContext";

    [Fact]
    public async Task A_missing_ordering_trigger_or_column_makes_the_outbox_unhealthy_naming_it_until_the_schema_is_right()
    {
        await using var database = await TestDatabase.CreateAsync("outbox_schema");
        await using (var db = new PledgeDbContext(PledgeNaming.Default.Options(database.ConnectionString)))
            await db.Database.EnsureCreatedAsync(); // tables, but no ordering trigger
        var logs = new CapturedLogs();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "schema", new Received(), o => o.Logs = logs);

        var noTrigger = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, noTrigger.Status);
        Assert.Contains("outbox_state_ordering", noTrigger.Description, StringComparison.Ordinal);
        Assert.True(logs.Mention("has no outbox_state_ordering trigger"), "the start logs the missing trigger");
        Assert.DoesNotContain("outbox_state_notify", noTrigger.Description, StringComparison.Ordinal); // not wanted by default

        await using (var db = new PledgeDbContext(PledgeNaming.Default.Options(database.ConnectionString)))
            await ExecuteAsync(database.ConnectionString, OutboxMigrationBuilderExtensions.OrderingTriggerSql(db.Model));
        await ExecuteAsync(database.ConnectionString, """ALTER TABLE "OutboxMessage" DROP COLUMN "Headers" """);
        var noColumn = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, noColumn.Status);
        Assert.Contains("\"OutboxMessage\" lacks column(s) Headers", noColumn.Description, StringComparison.Ordinal);

        await ExecuteAsync(database.ConnectionString, """ALTER TABLE "OutboxMessage" ADD COLUMN "Headers" text""");
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
    }

    [Fact]
    public async Task An_outbox_set_to_be_woken_by_the_notify_trigger_is_unhealthy_without_it()
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_schema");
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "schema", new Received(),
            o => o.Outbox = outbox => outbox.UseBusOutbox(b => b.Notification = OutboxNotification.Trigger));

        var noTrigger = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, noTrigger.Status);
        Assert.Contains("no outbox_state_notify trigger", noTrigger.Description, StringComparison.Ordinal);

        await ExecuteAsync(database.ConnectionString, OutboxMigrationBuilderExtensions.NotifyTriggerSql());
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
    }

    [Fact]
    public async Task A_DbContext_that_is_not_on_PostgreSQL_stops_the_start_naming_the_provider()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<PledgeDbContext>(db => db.UseInMemoryDatabase("not-postgres"));
        builder.Services.AddMassTransit(bus =>
        {
            bus.AddEntityFrameworkOutbox<PledgeDbContext>(outbox => outbox.UsePostgres());
            bus.UsingInMemory();
        });
        using var host = builder.Build();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("Microsoft.EntityFrameworkCore.InMemory", refused.Message, StringComparison.Ordinal);
        Assert.Contains("UseNpgsql", refused.Message, StringComparison.Ordinal);
    }

    static async Task<HealthReportEntry> CheckAsync(OutboxHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == Check)).Entries[Check];

    static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
    }
}
