using System.Diagnostics;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>Stops the shared private broker: runs in the serial "Faults" phase of ./test.sh, never beside other suites.</summary>
[Trait("Category", "Faults")]
public sealed class BrokerOutageTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    readonly Received _received = new();

    [Fact]
    public async Task Messages_committed_while_the_broker_is_down_all_arrive_once_it_is_back()
    {
        var run = _received.NewRun();
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "outage", _received);

        await Infra("rabbitmq", "stop");
        try
        {
            for (var i = 0; i < 20; i++)
                await host.RecordPledgeAsync(run);
            Assert.Equal(20, await host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()));
        }
        finally
        {
            await Infra("rabbitmq", "start");
        }

        var arrived = await _received.WaitFor<PledgeRecorded>(run, 20, TimeSpan.FromSeconds(90));
        Assert.Equal(20, arrived.Select(a => a.MessageId).Distinct().Count());
        await Eventually.Until(() => host.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()), n => n == 0, "every sent message deleted");
    }

    static async Task Infra(params string[] arguments)
    {
        var start = new ProcessStartInfo(TestInfrastructure.Get("CAMPAIGN_INFRA")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"infra {string.Join(' ', arguments)} failed: {output}");
    }
}
