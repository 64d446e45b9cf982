using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Campaign.Testing;

namespace Campaign.Outbox.Bench;

/// <summary>
/// The peer: Wolverine 6.62's durable EF Core outbox (bench/Campaign.Outbox.Bench.Wolverine), a process of its own (its
/// packages and ours don't share one), running the same S2 scenario on the same PostgreSQL and RabbitMQ: 8 writers, one
/// business row and one event per transaction, latency from a stamp taken right before saving to its handler, in the
/// same process (writer, outbox agent and handler), like our "relay in the writer's process". Its own warm-up comes first.
/// </summary>
static class Peer
{
    public const string Name = "Wolverine 6.62 durable EF outbox, same process";

    static readonly string Dll = Path.Combine(TestInfrastructure.RepositoryRoot,
        "bench", "Campaign.Outbox.Bench.Wolverine", "bin", "Release", "net10.0", "Campaign.Outbox.Bench.Wolverine.dll");

    /// <summary>Wolverine's recovery settings for the drain: its defaults (100 envelopes per 5 s poll) would take 17 minutes.</summary>
    public const string DrainName = "Wolverine 6.62 durable EF outbox, recovery tuned to 1,000 envelopes per 1 s poll";

    /// <summary>
    /// S1 for the peer: the events written with the sending agent latched (as after a broker failure), then released and
    /// drained by Wolverine's recovery, which is how it sends a backlog left in its outgoing table.
    /// </summary>
    public static async Task<Measurement> DrainAsync(int rep, int events, int writers)
    {
        var r = await RunAsync("drain", "--events", Invariant(events), "--writers", Invariant(writers), "--recovery-batch", "1000", "--polling-ms", "1000");
        return new Measurement("S1", DrainName, rep, new()
        {
            ["sent"] = events,
            ["arrived"] = Number(r, "arrived"),
            ["msgPerSec"] = Number(r, "msgPerSec"),
            ["writeTxPerSec"] = events / Number(r, "writeSeconds"),
            ["duplicates"] = Number(r, "duplicates"),
            ["peer"] = 1,
            ["peerCpuSeconds"] = Number(r, "cpuSeconds"),
        }, []);
    }

    public static async Task<Measurement> S2Async(int rep, int rate, TimeSpan duration)
    {
        var r = await RunAsync("s2", "--rate", Invariant(rate), "--seconds", Invariant((int)Math.Ceiling(duration.TotalSeconds)));
        double D(string name) => Number(r, name);
        return new Measurement("S2", $"{rate}/s, {Name}", rep, new()
        {
            ["rate"] = rate,
            ["sent"] = D("sent"),
            ["arrived"] = D("arrived"),
            ["arrivedPct"] = 100.0 * D("arrived") / Math.Max(1, D("sent")),
            ["achievedRate"] = D("achievedRate"),
            ["p50"] = D("p50"),
            ["p95"] = D("p95"),
            ["p99"] = D("p99"),
            ["max"] = D("max"),
            ["commitP50"] = D("commitP50"),
            ["commitP99"] = D("commitP99"),
            ["duplicates"] = D("duplicates"),
            ["complete"] = r.TryGetProperty("complete", out var c) && c.ValueKind == JsonValueKind.True ? 1 : 0,
            ["peer"] = 1,
            ["peerCpuSeconds"] = D("cpuSeconds"),
            ["peerDbCommands"] = D("dbCommands"),
            ["peerJitMethods"] = D("jittedMethods"),
        }, []);
    }

    /// <summary>Runs one scenario of the peer and returns its result (the JSON object on its last line of output).</summary>
    static async Task<JsonElement> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Dll}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (last is null || !last.StartsWith('{'))
        {
            throw new InvalidOperationException(
                $"the Wolverine peer (exit {process.ExitCode}) printed no result; its stderr ends: {Tail(await stderr)}");
        }
        using var result = JsonDocument.Parse(last);
        return result.RootElement.Clone();
    }

    static double Number(JsonElement result, string name) =>
        result.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    static string Tail(string text) => text.Length <= 2_000 ? text : text[^2_000..];
}
