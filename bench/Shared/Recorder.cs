using System.Diagnostics;

namespace Campaign.Outbox.Bench;

/// <summary>
/// What the consumer received in the current configuration run: the first receive time of every sequence number
/// (Stopwatch timestamps, this process's clock), the stamp each message carried, duplicates and strays. Shared by our
/// benchmark and the Wolverine peer (bench/Shared, compiled into both), so both count the same way. Public: Wolverine's
/// run-time generated handler code injects it.
/// </summary>
#pragma warning disable CA1515 // injected by Wolverine's run-time generated code in the peer
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

    public ReadOnlySpan<long> Received => _received;
    public ReadOnlySpan<long> Stamps => _stamps;

    /// <summary>Starts a run: sequence numbers 0 to <paramref name="capacity"/> - 1 of <paramref name="run"/> count.</summary>
    public void Reset(Guid run, int capacity, int expected = int.MaxValue)
    {
        _received = new long[capacity];
        _stamps = new long[capacity];
        _count = 0;
        _duplicates = 0;
        _strays = 0;
        _last = 0;
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _run = run;
        Interlocked.Exchange(ref _expected, expected);
        if (expected == 0)
            _all.TrySetResult();
    }

    /// <summary>Sets how many must arrive (once the writer knows); completes at once if they already have.</summary>
    public void Expect(int expected)
    {
        Interlocked.Exchange(ref _expected, expected);
        if (Volatile.Read(ref _count) >= expected)
            _all.TrySetResult();
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

        if (Interlocked.Increment(ref _count) >= Volatile.Read(ref _expected))
            _all.TrySetResult();
    }

    /// <summary>True when all expected arrived within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _all.Task.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
