using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>
/// Counts the database commands of this process: Npgsql 10 records every command's duration on the meter "Npgsql",
/// instrument "db.client.operation.duration" (a double histogram), whether EF Core or Wolverine's own data source ran it.
/// </summary>
sealed class NpgsqlCommandCounter : IDisposable
{
    readonly MeterListener _listener = new();
    long _commands;

    public NpgsqlCommandCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _commands));
        _listener.Start();
    }

    public long Commands => Interlocked.Read(ref _commands);

    public void Dispose() => _listener.Dispose();
}

/// <summary>What a measured phase cost this process.</summary>
readonly record struct PhaseCost(double CpuSeconds, long DbCommands, long JittedMethods, double JitMs);

/// <summary>
/// This process's CPU time and database commands over a measured phase, and how many methods the JIT compiled meanwhile:
/// tier-1 recompilation of hot code goes on for a while after a warm-up and is part of the CPU figure.
/// </summary>
sealed class PhaseProbe
{
    readonly NpgsqlCommandCounter _counter;
    readonly TimeSpan _cpu;
    readonly long _commands;
    readonly long _jitted;
    readonly TimeSpan _jitTime;

    PhaseProbe(NpgsqlCommandCounter counter)
    {
        _counter = counter;
        _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        _commands = counter.Commands;
        _jitted = JitInfo.GetCompiledMethodCount();
        _jitTime = JitInfo.GetCompilationTime();
    }

    public static PhaseProbe Start(NpgsqlCommandCounter counter) => new(counter);

    public PhaseCost Stop() => new(
        (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds,
        _counter.Commands - _commands,
        JitInfo.GetCompiledMethodCount() - _jitted,
        (JitInfo.GetCompilationTime() - _jitTime).TotalMilliseconds);

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until the JIT has compiled fewer than 20 methods in each of two seconds in
    /// a row: after a warm-up the tiering thread keeps recompiling hot methods for seconds, in bursts, CPU that would
    /// otherwise land in the measured phase.
    /// </summary>
    public static async Task<TimeSpan> SettleJitAsync(TimeSpan limit, CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        var quiet = 0;
        while (quiet < 2 && Stopwatch.GetElapsedTime(start) < limit)
        {
            var before = JitInfo.GetCompiledMethodCount();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
            quiet = JitInfo.GetCompiledMethodCount() - before < 20 ? quiet + 1 : 0;
        }
        return Stopwatch.GetElapsedTime(start);
    }
}

static class Stats
{
    public static double Ms(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;

    public static double Seconds(long stopwatchTicks) => (double)stopwatchTicks / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile of an ascending, non-empty array.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Round(double value) => Math.Round(value, 2);
}
