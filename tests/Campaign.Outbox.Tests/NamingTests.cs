using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>The outbox's hand-written SQL follows the EF model: snake_case names (EFCore.NamingConventions) and a schema of its own.</summary>
public sealed class NamingTests
{
    public static TheoryData<string?, bool> Namings => new()
    {
        { null, true },
        { "pledges", false },
        { "pledges", true },
    };

    [Theory]
    [MemberData(nameof(Namings))]
    public async Task Bus_outbox_relay_and_inbox_work_with_the_model_s_names(string? schema, bool snakeCase)
    {
        var naming = new PledgeNaming(schema, snakeCase);
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_naming", naming);
        var columns = await ColumnsAsync(database.ConnectionString);
        Assert.Contains($"{schema ?? "public"}.OutboxState.{(snakeCase ? "outbox_id" : "OutboxId")}", columns);

        var received = new Received();
        var run = received.NewRun();
        var pledgeId = Guid.NewGuid();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, $"naming-{schema}-{snakeCase}", received, o =>
        {
            o.Naming = naming;
            o.Recorder = false;
            o.Acknowledger = true; // behind the inbox: its upsert, and what it publishes goes through the relay again
        });

        await host.RecordPledgeAsync(run, pledgeId: pledgeId);

        Assert.Single(await received.WaitFor<PledgeAcknowledged>(run, 1, TimeSpan.FromSeconds(60)));
        Assert.Equal(1, (await host.QueryAsync(db => db.Acknowledgements.SingleAsync(a => a.PledgeId == pledgeId))).Times);
        // PledgeRecorded and PledgeAcknowledged (the recorder saw the second one inside its consume, before the inbox committed)
        await Eventually.Until(() => host.QueryAsync(db => db.Set<InboxState>().CountAsync()), n => n == 2, "both messages in the inbox");
        await WaitUntilEmptyAsync(host);
    }

    static async Task WaitUntilEmptyAsync(OutboxHost host)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int left;
        while ((left = await host.QueryAsync(db => db.Set<OutboxState>().CountAsync())) > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(left == 0, $"{left} unit(s) of work still in the outbox after 60 s: the relay's SQL did not find or delete them");
    }

    static async Task<List<string>> ColumnsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns", connection);
        var tables = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            tables.Add(reader.GetString(0));
        return tables;
    }
}
