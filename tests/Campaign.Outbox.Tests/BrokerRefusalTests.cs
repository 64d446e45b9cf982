using Campaign.Outbox.Relay;
using Campaign.Testing;
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
    public async Task A_refused_message_parks_its_unit_of_work_while_the_others_are_delivered(string refusal, string spoil, string said)
    {
        await using var database = await TestDatabase.CreateAsync("outbox_refused");
        await OutboxHost.CreateSchemaAsync(database.ConnectionString);
        var received = new Received();
        var run = received.NewRun();
        var refusedPledge = Guid.NewGuid();

        // Stored by a writer without a relay, then spoiled the way the broker will refuse.
        await using (var writer = await OutboxHost.StartAsync(database.ConnectionString, "refused", new Received(), o =>
                     {
                         o.Relay = false;
                         o.Recorder = false;
                     }))
        {
            await writer.RecordPledgeAsync(run, pledgeId: refusedPledge);
            var outboxId = await writer.QueryAsync(db => db.Set<OutboxState>().Select(s => s.OutboxId).SingleAsync());
            await writer.QueryAsync(db => db.Database.ExecuteSqlRawAsync(spoil, outboxId));
        }

        // The timeout is long: a refusal must be recognised as one, not by waiting the send out.
        await using var host = await OutboxHost.StartAsync(database.ConnectionString, "refused", received, o => o.Outbox = outbox =>
            outbox.UseBusOutbox(b =>
            {
                b.MaxDeliveryAttempts = 2;
                b.RetryDelay = TimeSpan.FromMilliseconds(100);
                b.MessageDeliveryTimeout = TimeSpan.FromSeconds(60);
                b.LeaseDuration = TimeSpan.FromMinutes(3);
            }));
        for (var i = 0; i < 3; i++)
            await host.RecordPledgeAsync(run);

        var parkedOutboxes = host.Services.GetRequiredService<ParkedOutboxes<PledgeDbContext>>();
        var deadline = DateTime.UtcNow.AddSeconds(45);
        IReadOnlyList<ParkedOutbox> parked;
        while ((parked = await parkedOutboxes.ListAsync()).Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);

        Assert.True(parked.Count == 1, $"{refusal}: {parked.Count} unit(s) of work parked after 45 s, expected the refused one");
        var unit = parked[0];
        Assert.Equal(2, unit.DeliveryAttempts);
        Assert.Contains(said, unit.LastError, StringComparison.Ordinal);
        Assert.Equal(3, (await received.WaitFor<PledgeRecorded>(run, 3)).Count);
        Assert.DoesNotContain(received.Of<PledgeRecorded>(run), r => r.Message.PledgeId == refusedPledge);
    }
}
