using Campaign.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Subscriber;
using Xunit;

namespace Subscriber.Tests;

/// <summary>The subscriber's consumer on MassTransit's in-memory test harness: no broker needed to test what it does.</summary>
public sealed class DonorSecuredConsumerTests
{
    [Fact]
    public async Task A_published_DonorSecured_is_consumed_by_the_subscriber()
    {
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddMassTransitTestHarness(bus => bus.AddConsumer<DonorSecuredConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var donorId = Guid.NewGuid();

        await harness.Bus.Publish(new DonorSecured(donorId, "Ada Example", null, 250m, "USD", DateTimeOffset.UtcNow));

        var consumer = harness.GetConsumerHarness<DonorSecuredConsumer>();
        Assert.True(await consumer.Consumed.Any<DonorSecured>(m => m.Context.Message.DonorId == donorId));
        Assert.False(await harness.Published.Any<Fault<DonorSecured>>());
    }
}
