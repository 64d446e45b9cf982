using System.Globalization;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.ResilienceTests.Faults;

/// <summary>What the fault runs share: the infra script with retries, readiness of every instance, clients, pacing.</summary>
public static class FaultRun
{
    /// <summary>
    /// <c>CAMPAIGN_SOAK_EVENTS</c>: 0 (unset) for a test's one fault cycle; N to repeat the cycle until N events are
    /// committed, a soak (docs/reliability.md).
    /// </summary>
    public static long SoakEvents { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("CAMPAIGN_SOAK_EVENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>
    /// Runs the fault cycle once, or until <see cref="SoakEvents"/> events are committed, noting the traffic after each. A
    /// fault that could not be injected or recovered from is returned, not thrown: what was committed until then still has
    /// to be accounted for, so the verdict runs and reports it (the instances it left stopped are started again first).
    /// </summary>
    public static async Task<Exception?> CyclesAsync(Func<int, Task> cycle, Traffic traffic, CampaignSystem system, Action<string> note)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        ArgumentNullException.ThrowIfNull(traffic);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(note);
        try
        {
            var number = 0;
            do
            {
                await cycle(++number);
                note($"after cycle {number}: {traffic.Describe()}");
            }
            while (SoakEvents > 0 && traffic.EventsCommitted < SoakEvents);
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            note($"fault injection failed: {exception.Message.Split('\n')[0]}");
            await Task.WhenAll(system.AllInstances.Where(s => !s.IsRunning).Select(s => s.StartAsync()));
            return exception;
        }
    }

    /// <summary>xunit shows a test's output only when it ends: a soak runs for an hour, so its progress goes to a file too.</summary>
    public static void SoakProgress(string fileName, string line)
    {
        if (SoakEvents == 0)
            return;
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, ".local", "logs");
        Directory.CreateDirectory(folder);
        File.AppendAllText(Path.Combine(folder, fileName), $"{DateTime.UtcNow:HH:mm:ss} {line}\n");
    }

    /// <summary>
    /// The infra script, again when it fails (its commands are idempotent): on a loaded machine rabbitmqctl itself sometimes
    /// crashes while the node is fine.
    /// </summary>
    public static async Task InfraAsync(Action<string> note, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(note);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Infra.RunAsync(args);
                return;
            }
            catch (Exception exception) when (attempt < 3 && exception is InvalidOperationException or TimeoutException)
            {
                note($"    infra {string.Join(' ', args)} failed (attempt {attempt}), again: {exception.Message.Split('\n')[0]}");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    public static async Task<Dictionary<string, long>> ErrorQueueDepthsAsync(RabbitMqManagement management)
    {
        ArgumentNullException.ThrowIfNull(management);
        return (await management.ErrorQueuesAsync()).ToDictionary(q => q.Name, q => q.Messages);
    }

    /// <summary>Every instance of every service ready again (generous: CI's machine may be busy).</summary>
    public static async Task AllReadyAsync(CampaignSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        await Task.WhenAll(system.AllInstances.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
    }

    /// <summary>A client for the traffic: short timeouts, so a request to a service that is down fails fast and is counted.</summary>
    public static HttpClient Client(ServiceProcess service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return new(new TestTokens.Handler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(10), ConnectTimeout = TimeSpan.FromSeconds(3) }))
        {
            BaseAddress = service.BaseAddress,
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    /// <summary>Lets the traffic run for a while between faults (pacing, not a wait for a condition).</summary>
    public static Task PaceAsync(TimeSpan time) => Task.Delay(time);
}
