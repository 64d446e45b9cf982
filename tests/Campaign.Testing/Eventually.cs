using System.Diagnostics;

namespace Campaign.Testing;

/// <summary>
/// Polls a condition until it holds or a deadline passes: waits for asynchronous work without fixed sleeps. A probe that
/// throws (a server that is down) counts as "not yet"; the timeout message names the last value or exception.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What a timeout message adds about the system under test (the system tests' CampaignSystem sets it while it runs):
    /// the state of its queues and processes when the wait gave up, for the CI log that is all there is of a failed run.
    /// </summary>
    public static Func<Task<string>>? Describe { get; set; }

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> condition, string because, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(20);
        string last = "nothing yet";
        while (true)
        {
            try
            {
                var value = await probe();
                if (condition(value))
                    return value;
                last = $"last value: {value}";
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                last = $"last exception: {exception.GetType().Name}: {exception.Message}";
            }
            if (watch.Elapsed > limit)
                throw new TimeoutException($"Not true within {limit.TotalSeconds:0.#} s: {because} ({last}).{await DescribeAsync()}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    static async Task<string> DescribeAsync()
    {
        if (Describe is not { } describe)
            return "";
        try
        {
            return "\n" + await describe();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return $"\n(no description of the system: {exception.Message})";
        }
    }

    public static Task Until(Func<Task<bool>> condition, string because, TimeSpan? timeout = null) =>
        Until(condition, ok => ok, because, timeout);

    public static Task Until(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(condition()), ok => ok, because, timeout);

    public static T Until<T>(Func<T> probe, Func<T, bool> condition, string because, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(probe()), condition, because, timeout).GetAwaiter().GetResult();
}
