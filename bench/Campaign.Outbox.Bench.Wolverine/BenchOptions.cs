using System.Globalization;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>Thrown for a command line that can't be run; the message says why (empty for --help).</summary>
sealed class UsageException(string message) : Exception(message);

/// <summary>One invocation's scenario and its parameters.</summary>
sealed record BenchOptions(string Scenario, double Rate, int Seconds, int Writers, int Events, int RecoveryBatchSize, int PollingMs)
{
    // Wolverine 6.62's own defaults for DurabilitySettings.RecoveryBatchSize and ScheduledJobPollingTime.
    const int WolverineRecoveryBatchSize = 100;
    const int WolverinePollingMs = 5_000;

    public const string Usage = """
        Wolverine 6.62 durable EF Core outbox on the private PostgreSQL and RabbitMQ (a peer of Campaign.Outbox.Bench).
        One scenario per invocation; the result is one JSON object, the last line on stdout; progress goes to stderr.

        usage:
          s2 --rate R --seconds S [--writers 8]
              Steady rate: event i is due at start + i/R, written by W writers (after an unmeasured warm-up of 1,000
              events as fast as possible and 2 s at the rate). Latency from the stamp taken before saving, and from the
              commit, to the handler.
          drain [--events 20000] [--writers 4] [--recovery-batch 100] [--polling-ms 5000]
              Backlog drain: N events are written while the RabbitMQ sending agent is latched (held back), so they pile
              up in Wolverine's outgoing envelope table; then the latch is released and the durability agent's outbox
              recovery sends them. Times release to last arrival. --recovery-batch and --polling-ms set Wolverine's
              Durability.RecoveryBatchSize and ScheduledJobPollingTime (defaults: Wolverine's own).
          --help
              This text.

        Environment: CAMPAIGN_PG_ADMIN and ConnectionStrings__RabbitMq (or .local/infra.env from deploy/local/infra up).
        Exit code: 0 complete; 1 a warm-up or the measured phase did not receive everything in time, or cancelled; 2 bad arguments.
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0 || args.Any(a => a is "--help" or "-h" or "help"))
            throw new UsageException("");

        var scenario = args[0];
        if (scenario is not ("s2" or "drain"))
            throw new UsageException($"unknown scenario '{scenario}'");

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unexpected argument '{arg}'");
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
                values[arg[2..equals]] = arg[(equals + 1)..];
            else if (i + 1 < args.Count)
                values[arg[2..]] = args[++i];
            else
                throw new UsageException($"{arg} needs a value");
        }

        var known = scenario == "s2" ? new[] { "rate", "seconds", "writers" } : ["events", "writers", "recovery-batch", "polling-ms"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new UsageException($"--{unknown} is not an option of {scenario}");

        double Number(string key, double fallback) =>
            values.TryGetValue(key, out var text) ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) : fallback;
        int Whole(string key, int fallback) =>
            values.TryGetValue(key, out var text) ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

        if (scenario == "s2" && !(values.ContainsKey("rate") && values.ContainsKey("seconds")))
            throw new UsageException("s2 needs --rate and --seconds");

        var options = new BenchOptions(
            scenario,
            Rate: Number("rate", 0),
            Seconds: Whole("seconds", 0),
            Writers: Whole("writers", scenario == "s2" ? 8 : 4),
            Events: Whole("events", 20_000),
            RecoveryBatchSize: Whole("recovery-batch", WolverineRecoveryBatchSize),
            PollingMs: Whole("polling-ms", WolverinePollingMs));
        if (options.Writers < 1 || options.Events < 1 || options.RecoveryBatchSize < 1 || options.PollingMs < 1
            || (scenario == "s2" && (options.Rate <= 0 || options.Seconds < 1)))
            throw new UsageException("rate, seconds, writers, events, recovery-batch and polling-ms must be positive");
        return options;
    }
}
