using System.Diagnostics.Metrics;
using Campaign.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>How the outbox looks from MassTransit's in-memory test harness (what our users test with).</summary>
public sealed class TestHarnessTests(OutboxDatabase database) : IClassFixture<OutboxDatabase>
{
    [Fact]
    public async Task A_saved_publish_is_sent_by_the_relay_with_its_message_id_and_consumed()
    {
        // MassTransit's outbox delivery counter, which dashboards built for MassTransit's own outbox read.
        var deliveries = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "messaging.masstransit.outbox.delivery")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (deliveries)
                deliveries.AddRange(tags.ToArray().Select(t => $"{t.Value}"));
        });
        listener.Start();

        var received = new Received();
        var run = received.NewRun();
        var messageId = NewId.NextGuid();
        await using var provider = new ServiceCollection()
            .AddSingleton(received)
            .AddDbContext<PledgeDbContext>(db => db.UseNpgsql(database.ConnectionString))
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<PledgeRecordedRecorder>();
                bus.AddEntityFrameworkOutbox<PledgeDbContext>(outbox => outbox.UseBusOutbox());
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await using (var scope = provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PledgeDbContext>();
            db.Pledges.Add(new Pledge { Id = Guid.NewGuid(), Amount = 5m });
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new PledgeRecorded(run, Guid.Empty, 0), ctx => ctx.MessageId = messageId);

            // Before the commit, nothing has left: the message is a row in the DbContext.
            Assert.False(await harness.Published.Any<PledgeRecorded>(new CancellationTokenSource(200).Token));
            Assert.False(await harness.Sent.Any(x => x.Context.MessageId == messageId, new CancellationTokenSource(200).Token));
            await db.SaveChangesAsync();
        }

        // The relay re-sends the stored envelope (serialized body, same MessageId) to the message's exchange, and lists it
        // as Published<PledgeRecorded>, as a direct publish would be (MassTransit's own EF outbox does not: its issue 4873).
        var published = await Eventually.Until(
            async () => await harness.Published.Any<PledgeRecorded>(x => x.Context.Message.Run == run),
            any => any, "the relay's delivery is listed as Published");
        Assert.True(published);
        var listed = harness.Published.Select<PledgeRecorded>(x => x.Context.Message.Run == run).Single();
        Assert.Equal(messageId, listed.Context.MessageId);
        lock (deliveries)
            Assert.Contains(deliveries, tag => tag.EndsWith(":PledgeRecorded", StringComparison.Ordinal));
        // The relay delivers in the background, which the harness's inactivity timeout does not wait for: wait for the consumer.
        Assert.Single(await received.WaitFor<PledgeRecorded>(run, 1));
        // The harness records the consume after the consumer returns, and its inactivity timeout may have passed already
        // (then Any answers at once from what it holds): ask again until the record is there.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await harness.Consumed.Any<PledgeRecorded>(x => x.Context.Message.Run == run && x.Context.MessageId == messageId)
               && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(await harness.Consumed.Any<PledgeRecorded>(x => x.Context.Message.Run == run && x.Context.MessageId == messageId));
        Assert.Single(await received.WaitFor<PledgeRecorded>(run, 1));
    }
}
