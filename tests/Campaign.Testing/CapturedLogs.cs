using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Campaign.Testing;

/// <summary>One captured log entry: its level, category, formatted message and exception.</summary>
public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message} {Exception}";
}

/// <summary>
/// Everything a host logged, so a test can assert that a problem was reported, or that logs do not contain what they may not
/// (a donor's name or address).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Whether any entry (message or exception) contains <paramref name="text"/>, ignoring case.</summary>
    public bool Mention(string text) => _entries.Any(e => e.ToString().Contains(text, StringComparison.OrdinalIgnoreCase));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            logs._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
        }
    }
}
