using System.Collections.Concurrent;
using MassTransit;

namespace Campaign.Outbox.Tests;

/// <summary>What reached consumers, per test run. Waiting polls the collection; it never sleeps a fixed time.</summary>
public sealed class Received
{
    readonly ConcurrentQueue<(Guid Run, Guid MessageId, object Message, Headers Headers)> _messages = new();
    readonly ConcurrentDictionary<Guid, bool> _runs = new();

    /// <summary>
    /// Every test host is bound to the same exchanges, so it also receives other tests' messages: consumers act only
    /// on the runs their own test started.
    /// </summary>
    public Guid NewRun()
    {
        var run = Guid.NewGuid();
        _runs[run] = true;
        return run;
    }

    public bool Owns(Guid run) => _runs.ContainsKey(run);

    public void Add(Guid run, Guid messageId, object message, Headers headers) => _messages.Enqueue((run, messageId, message, headers));

    public IReadOnlyList<(Guid MessageId, T Message, Headers Headers)> Of<T>(Guid run) =>
        [.. _messages.Where(m => m.Run == run && m.Message is T).Select(m => (m.MessageId, (T)m.Message, m.Headers))];

    public async Task<IReadOnlyList<(Guid MessageId, T Message, Headers Headers)>> WaitFor<T>(Guid run, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Of<T>(run).Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        return Of<T>(run);
    }
}

/// <summary>Records every PledgeRecorded it receives (no inbox needed: it has no effect to protect).</summary>
public sealed class PledgeRecordedRecorder(Received received) : IConsumer<PledgeRecorded>
{
    public Task Consume(ConsumeContext<PledgeRecorded> context)
    {
        if (!received.Owns(context.Message.Run))
            return Task.CompletedTask;
        received.Add(context.Message.Run, context.MessageId!.Value, context.Message, context.Headers);
        return Task.CompletedTask;
    }
}

/// <summary>Behind the inbox: counts each pledge it handles in the database and publishes an acknowledgement.</summary>
public sealed class PledgeAcknowledger(PledgeDbContext db, Received received) : IConsumer<PledgeRecorded>
{
    public async Task Consume(ConsumeContext<PledgeRecorded> context)
    {
        if (!received.Owns(context.Message.Run))
            return;
        var ack = await db.Acknowledgements.FindAsync(context.Message.PledgeId);
        if (ack is null)
            db.Acknowledgements.Add(new PledgeAcknowledgement { PledgeId = context.Message.PledgeId, Times = 1 });
        else
            ack.Times++;
        received.Add(context.Message.Run, context.MessageId!.Value, context.Message, context.Headers);
        await context.Publish(new PledgeAcknowledged(context.Message.Run, context.Message.PledgeId));
    }
}

public sealed class PledgeAcknowledgedRecorder(Received received) : IConsumer<PledgeAcknowledged>
{
    public Task Consume(ConsumeContext<PledgeAcknowledged> context)
    {
        if (!received.Owns(context.Message.Run))
            return Task.CompletedTask;
        received.Add(context.Message.Run, context.MessageId!.Value, context.Message, context.Headers);
        return Task.CompletedTask;
    }
}
