using MassTransit;

namespace Campaign.Outbox.Bench;

/// <summary>A plain MassTransit consumer: records the receipt and returns.</summary>
sealed class BenchConsumer(Recorder recorder) : IConsumer<BenchEvent>
{
    public Task Consume(ConsumeContext<BenchEvent> context)
    {
        recorder.Record(context.Message);
        return Task.CompletedTask;
    }
}
