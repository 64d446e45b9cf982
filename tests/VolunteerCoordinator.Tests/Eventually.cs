using System.Diagnostics;
using Xunit.Sdk;

namespace VolunteerCoordinator.Tests;

/// <summary>Polls a condition until it holds or a timeout passes: waits for asynchronous work without fixed sleeps.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> condition, string because, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (condition(value))
                return value;
            if (watch.Elapsed > limit)
                throw new XunitException($"Not true within {limit.TotalSeconds} s: {because}.");
            await Task.Delay(50);
        }
    }
}
