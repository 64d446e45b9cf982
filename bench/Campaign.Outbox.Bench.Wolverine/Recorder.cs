using System.Diagnostics;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>
/// What the handler received in the current phase: the first receive time of every sequence number (Stopwatch
/// timestamps, this process's clock), the stamp each message carried, duplicates and strays from other phases.
/// Public only because Wolverine's generated handler adapter injects it.
/// </summary>
#pragma warning disable CA1515 // injected into the handler by Wolverine's run-time generated code
public sealed class Recorder
#pragma warning restore CA1515
{
    long[] _received = [];
    long[] _stamps = [];
    Guid _run;
    int _count;
    int _expected = int.MaxValue;
    long _last;
    int _duplicates;
    int _strays;
    TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count => Volatile.Read(ref _count);
    public int Duplicates => Volatile.Read(ref _duplicates);
    public int Strays => Volatile.Read(ref _strays);

    /// <summary>Stopwatch timestamp of the latest first receipt.</summary>
    public long Last => Interlocked.Read(ref _last);

    internal ReadOnlySpan<long> Received => _received;
    internal ReadOnlySpan<long> Stamps => _stamps;

    /// <summary>Starts a phase: <paramref name="expected"/> messages of run <paramref name="run"/>, numbered 0 to expected - 1.</summary>
    internal void Reset(Guid run, int expected)
    {
        _received = new long[expected];
        _stamps = new long[expected];
        _count = 0;
        _duplicates = 0;
        _strays = 0;
        _last = 0;
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _run = run;
        _expected = expected;
        if (expected == 0)
            _all.TrySetResult();
    }

    /// <summary>True when every expected message arrived within <paramref name="timeout"/>.</summary>
    internal async Task<bool> WaitAllAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            await _all.Task.WaitAsync(timeout, cancellation);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Record(BenchEvent message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = Stopwatch.GetTimestamp();
        var received = _received;
        if (message.Run != _run || message.Seq < 0 || message.Seq >= received.Length)
        {
            Interlocked.Increment(ref _strays);
            return;
        }

        // At-least-once delivery: a second copy of a sequence number is counted, never recorded.
        if (Interlocked.CompareExchange(ref received[message.Seq], now, 0) != 0)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _stamps[message.Seq] = message.Stamp;
        long last;
        do
        {
            last = Interlocked.Read(ref _last);
        }
        while (now > last && Interlocked.CompareExchange(ref _last, now, last) != last);

        if (Interlocked.Increment(ref _count) >= _expected)
            _all.TrySetResult();
    }
}
