using System.Diagnostics;
using Campaign.SystemTesting;

namespace Campaign.ResilienceTests.Faults;

/// <summary>After the traffic stops: waiting until every committed event has had its effects and nothing waits anywhere.</summary>
public static class Settling
{
    /// <summary>The services' queues that must be empty once everything has settled.</summary>
    public static IReadOnlyList<string> ServiceQueues { get; } =
    [
        "volunteer-coordinator-donor-secured", "volunteer-coordinator-thank-you-call-state", "communications-donor-secured",
        "communications-volunteer-signed-up", "communications-thank-you-call-overdue",
    ];

    /// <summary>
    /// Waits for every committed event's effects, the outboxes and the queues to drain, or the limit; notes which, and
    /// returns how long it took (null when it did not settle).
    /// </summary>
    public static async Task<TimeSpan?> WaitAsync(Traffic traffic, RabbitMqManagement management, IReadOnlyList<string> queues,
        DateTime started, TimeSpan limit, Action<string> note)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        ArgumentNullException.ThrowIfNull(management);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(note);
        var watch = Stopwatch.StartNew();
        var last = "";
        TimeSpan? clean = null;
        while (watch.Elapsed < limit)
        {
            var state = await SystemState.ReadAsync(traffic.Domain);
            var missing = Report.MissingEffects(state).Count;
            long pending = 0;
            foreach (var service in ServiceList.WithDatabase)
                pending += (await SystemState.OutboxAsync(service, started)).Pending;
            var queued = 0L;
            foreach (var queue in queues)
                queued += (await management.QueueAsync(queue))?.Messages ?? 0;
            var unsent = state.Messages.Values.Sum(m => m.Count - m.Sent);
            last = $"{missing} effects missing, {unsent} mails unsent, {pending} outbox messages pending, {queued} messages queued";
            if (missing == 0 && pending == 0 && queued == 0 && unsent == 0)
            {
                // The broker refreshes its queue counts every 5 s: settled only when a second look, 6 s on, agrees.
                if (clean is { } since && watch.Elapsed - since >= TimeSpan.FromSeconds(6))
                {
                    note($"settled in {since.TotalSeconds:0.0} s");
                    return since;
                }
                clean ??= watch.Elapsed;
            }
            else
            {
                clean = null;
            }
            await Task.Delay(1000);
        }
        note($"not settled within {limit.TotalSeconds:0} s: {last}");
        return null;
    }
}
