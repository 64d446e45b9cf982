using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Delivery from memory: a unit of work saved in this process, outside an explicit transaction, is written already leased to
/// <see cref="InlineLease"/> and handed to the relay once SaveChanges returns (the commit is done). The relay sends it at once,
/// with no claim, no NOTIFY and no wake, and records it with the records of other such units that completed meanwhile (one
/// round trip for all of them). If the process dies first, the lease runs out (<c>Created</c> + <c>LeaseDuration</c>, the
/// database's clock) and any relay delivers the unit; a failed send is booked like a pass's (back-off, parking, or released
/// at once after broker trouble), so the claim path takes over.
/// </summary>
public sealed partial class OutboxRelay<TDbContext>
{
    readonly ConcurrentQueue<ClaimedOutbox> _inlineDone = new();
    int _inlineSending;
    int _inlineRecording;
    bool _inlineRecordFailing;

    /// <summary>The lease units of work are written with when this process's relay sends them from memory.</summary>
    public Guid InlineLease { get; } = MassTransit.NewId.NextGuid();

    /// <summary>Sends committed units of work from memory; returns at once. <paramref name="savingAt"/>: when SaveChanges began.</summary>
    internal void DeliverCommitted(IEnumerable<(Guid OutboxId, List<OutboxMessage> Messages)> units, long savingAt)
    {
        foreach (var (outboxId, messages) in units)
        {
            // The lease counts from the INSERT (Created), so the unit's age and its send budget count from the save.
            var unit = new ClaimedOutbox(outboxId, 0, null, TimeSpan.Zero, savingAt);
            unit.Messages.AddRange(messages.OrderBy(m => m.SequenceNumber));
            Interlocked.Increment(ref _inlineSending);
            _ = Task.Run(() => SendInlineAsync(unit));
        }
    }

    async Task SendInlineAsync(ClaimedOutbox unit)
    {
        try
        {
            lock (_refusals)
                _refusalObserver ??= bus.ConnectSendObserver(_refusals);
            // What is left of the lease after a slow save: too little, and the unit is handed back unsent (released, due at
            // once for the workers) rather than risk a second relay sending it while this one still does.
            var budget = options.LeaseDuration * 0.75 - unit.Age;
            if (budget < options.LeaseDuration * 0.25)
            {
                unit.BrokerTrouble = true;
                return;
            }
            using (var lease = new CancellationTokenSource(budget, clock))
                await SendAsync(unit, lease.Token);
            if (unit.Sent.Count > 0)
                metrics.Delivered(ContextName, unit.Sent.Count);
            if (unit.BrokerTrouble)
                Volatile.Write(ref _ready, false); // the workers find out when the broker is back; until then commits go through them
        }
        finally
        {
            _inlineDone.Enqueue(unit);
            Interlocked.Decrement(ref _inlineSending);
            RecordInline();
        }
    }

    /// <summary>At most one record in flight; everything that completed while it ran goes into the next.</summary>
    void RecordInline()
    {
        if (Interlocked.CompareExchange(ref _inlineRecording, 1, 0) == 0)
            _ = Task.Run(RecordInlineAsync);
    }

    async Task RecordInlineAsync()
    {
        while (true)
        {
            var units = new List<ClaimedOutbox>();
            while (_inlineDone.TryDequeue(out var unit))
                units.Add(unit);
            if (units.Count > 0)
            {
                try
                {
                    await store.RecordAsync(new OutboxRecord(InlineLease, units, BookFaults(units)));
                    _inlineRecordFailing = false;
                }
                catch (Exception exception)
                {
                    // The units stay leased: when the lease runs out a relay sends them again, and the inbox drops the repeat.
                    // A woken worker whose pass finds nothing due waits for the lease's end (its look-ahead), not for the poll.
                    if (!_inlineRecordFailing)
                        LogInlineRecordFailed(logger, exception, ContextName, units.Count);
                    _inlineRecordFailing = true;
                    signal.Wake();
                }
                if (units.Any(u => u.Failure is not null || u.BrokerTrouble))
                    signal.Wake(); // released or backing off: the workers take it from here
            }

            Volatile.Write(ref _inlineRecording, 0);
            if (_inlineDone.IsEmpty || Interlocked.CompareExchange(ref _inlineRecording, 1, 0) != 0)
                return;
        }
    }

    /// <summary>Lets sends from memory that are under way finish and be recorded (host shutdown), within the lease.</summary>
    async Task DrainInlineAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _stopping, true);
        var deadline = Stopwatch.GetTimestamp() + (long)(options.LeaseDuration.TotalSeconds * 0.75 * Stopwatch.Frequency);
        while ((Volatile.Read(ref _inlineSending) > 0 || !_inlineDone.IsEmpty || Volatile.Read(ref _inlineRecording) != 0)
               && Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(10, CancellationToken.None);
    }

    [LoggerMessage(LogLevel.Warning, "Outbox relay for {DbContext} could not record {Count} unit(s) sent from memory; they stay leased and are sent again when the lease runs out.")]
    static partial void LogInlineRecordFailed(ILogger logger, Exception exception, string dbContext, int count);
}
