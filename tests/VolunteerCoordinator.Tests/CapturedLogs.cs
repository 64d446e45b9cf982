using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace VolunteerCoordinator.Tests;

/// <summary>Everything the app logged (formatted message and exception), to check what logs may not contain.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public bool Mention(string text) => _entries.Any(e => e.Contains(text, StringComparison.OrdinalIgnoreCase));

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
            logs._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
