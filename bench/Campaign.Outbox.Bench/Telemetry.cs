using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Bench;

/// <summary>Counts warnings and errors per category (a storm of relay failures must show in the results) and echoes errors to stderr.</summary>
sealed class LogCounter : ILoggerProvider
{
    readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    readonly string _source;
    int _echoed;

    public LogCounter(string source) => _source = source;

    public int Warnings => _counts.Where(c => c.Key.StartsWith("Warning ", StringComparison.Ordinal)).Sum(c => c.Value);
    public int Errors => _counts.Where(c => !c.Key.StartsWith("Warning ", StringComparison.Ordinal)).Sum(c => c.Value);

    public IReadOnlyDictionary<string, int> Snapshot() => new Dictionary<string, int>(_counts, StringComparer.Ordinal);

    public void Clear() => _counts.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    void Count(LogLevel level, string category, string message, Exception? exception)
    {
        if (level < LogLevel.Warning)
        {
            Console.Error.WriteLine($"[{_source} {System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1000)} ms] {level} {category}: {message}");
            return;
        }
        _counts.AddOrUpdate($"{level} {category}", 1, (_, n) => n + 1);
        if (Interlocked.Increment(ref _echoed) <= 20)
            Console.Error.WriteLine($"[{_source}] {level} {category}: {message}{(exception is null ? "" : " | " + (RelayMeter.Trace ? exception.ToString() : exception.GetType().Name + ": " + exception.Message))}");
    }

    sealed class Logger(LogCounter owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning || (RelayMeter.Trace && logLevel >= LogLevel.Debug && !category.StartsWith("MassTransit", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Count(logLevel, category, formatter(state, exception), exception);
        }
    }
}

/// <summary>Listens to Campaign.Outbox's meter: relay passes that delivered something, messages delivered, failures.</summary>
sealed class RelayMeter : IDisposable
{
    readonly MeterListener _listener = new();
    long _passes;
    long _delivered;
    long _failures;
    long _commands;
    long _roundTrips;

    /// <summary>BENCH_TRACE=1: every relay pass is printed with a timestamp (diagnostics).</summary>
    public static bool Trace { get; } = Environment.GetEnvironmentVariable("BENCH_TRACE") == "1";

    public RelayMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name == OutboxMetrics.MeterName
                    && instrument.Name is "campaign.outbox.delivered" or "campaign.outbox.delivery_failures" or "campaign.outbox.relay_round_trips")
                || (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration"))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _commands));
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "campaign.outbox.delivered")
            {
                if (Trace)
                    Console.Error.WriteLine($"[trace {Environment.ProcessId}] {System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1000)} ms: pass delivered {value}");
                Interlocked.Increment(ref _passes);
                Interlocked.Add(ref _delivered, value);
            }
            else if (instrument.Name == "campaign.outbox.relay_round_trips")
                Interlocked.Add(ref _roundTrips, value);
            else
                Interlocked.Add(ref _failures, value);
        });
        _listener.Start();
    }

    public RelayCounts Read() =>
        new(Interlocked.Read(ref _passes), Interlocked.Read(ref _delivered), Interlocked.Read(ref _failures), Interlocked.Read(ref _commands),
            Interlocked.Read(ref _roundTrips));

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// Relay passes that delivered, messages delivered, failed sends, database commands this process executed (Npgsql's meter)
/// and the relay's own database round trips (Campaign.Outbox's meter: claims, and records that did not ride with a claim).
/// </summary>
sealed record RelayCounts(long Passes, long Delivered, long Failures, long DbCommands, long RoundTrips)
{
    public RelayCounts Minus(RelayCounts start) =>
        new(Passes - start.Passes, Delivered - start.Delivered, Failures - start.Failures, DbCommands - start.DbCommands,
            RoundTrips - start.RoundTrips);
}
