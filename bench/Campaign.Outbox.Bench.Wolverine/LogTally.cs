using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>
/// Wolverine's log at Warning and above: the first few entries go to stderr, the rest are only counted per category
/// (the drain scenario makes Wolverine log an error for every message written while its sender is latched).
/// </summary>
sealed class LogTally : ILoggerProvider
{
    const int Echoed = 10;
    readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    int _seen;

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    void Write(LogLevel level, string category, string message, Exception? exception)
    {
        _counts.AddOrUpdate($"{level} {category}", 1, (_, n) => n + 1);
        if (Interlocked.Increment(ref _seen) <= Echoed)
            Console.Error.WriteLine($"[wolverine] {level} {category}: {message}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
    }

    sealed class Logger(LogTally owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Warning and < LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Write(logLevel, category, formatter(state, exception), exception);
        }
    }
}
