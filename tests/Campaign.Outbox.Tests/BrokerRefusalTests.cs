using Campaign.Outbox.Relay;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>A message the broker itself refuses is the message's fault: its unit of work is parked, the rest flows.</summary>
public sealed class BrokerRefusalTests
{
    public static TheoryData<string, string, string> Refusals => new()
    {
        // An exchange name RabbitMQ reserves: 403 ACCESS_REFUSED when it is declared.
        { "access refused", """UPDATE "OutboxMessage" SET "DestinationAddress" = regexp_replace("DestinationAddress", '/[^/?]+(\?|$)', '/amq.refused\1') WHERE "OutboxId" = {0}""", "AMQP 403" },
        // Larger than the broker accepts (MaxMessageSize, RabbitMQ 4's max_message_size): refused before it is sent.
        { "too large", """UPDATE "OutboxMessage" SET "Body" = left("Body", -1) || ', "padding": "' || repeat('x', 17 * 1024 * 1024) || '"}}' WHERE "OutboxId" = {0}""", "MaxMessageSize" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_message_parks_its_unit_of_work_at_once_and_the_next_pass_delivers_the_others(string refusal, string spoil, string said)
    {
        await using var database = await OutboxHost.CreateDatabaseAsync("outbox_refused");
        var received = new Received();
        var run = received.NewRun();
        var refusedPledge = Guid.NewGuid();

        // One attempt parks: a refusal must be recognised as one on the first send. The timeout is long, so a refusal
        // mistaken for a slow broker would show as a pass that took a minute and counted nothing.
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "refused", received, o =>
        {
            o.Relay = false;
            o.Outbox = outbox => outbox.UseBusOutbox(b =>
            {
                b.MaxDeliveryAttempts = 1;
                b.MessageDeliveryTimeout = TimeSpan.FromSeconds(60);
                b.LeaseDuration = TimeSpan.FromMinutes(3);
            });
        });
        await host.RecordPledgeAsync(run, pledgeId: refusedPledge);
        var outboxId = await host.QueryAsync(db => db.Set<OutboxState>().Select(s => s.OutboxId).SingleAsync());
        await host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(spoil, outboxId));

        using var relay = ActivatorUtilities.CreateInstance<OutboxRelay<PledgeDbContext>>(host.Services);
        var refused = await relay.RunPassAsync();

        Assert.False(refused.BrokerTrouble, $"{refusal}: taken for broker trouble, so it would be retried forever uncounted");
        Assert.Equal(0, refused.Delivered);
        var unit = Assert.Single(await host.Services.GetRequiredService<ParkedOutboxes<PledgeDbContext>>().ListAsync());
        Assert.Equal(outboxId, unit.OutboxId);
        Assert.Equal(1, unit.DeliveryAttempts);
        Assert.Contains(said, unit.LastError, StringComparison.Ordinal);

        // The others flow: written after it, delivered by the next pass while it stays parked.
        for (var i = 0; i < 3; i++)
            await host.RecordPledgeAsync(run);
        Assert.Equal(3, (await relay.RunPassAsync()).Delivered);
        Assert.Equal(3, (await received.WaitFor<PledgeRecorded>(run, 3)).Count);
        Assert.DoesNotContain(received.Of<PledgeRecorded>(run), r => r.Message.PledgeId == refusedPledge);
    }
}
