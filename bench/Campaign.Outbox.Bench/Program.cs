using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using Campaign.Outbox.Bench;
using Campaign.Testing;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception exception) when (exception is UsageException or FormatException)
{
    if (exception.Message.Length > 0)
        await Console.Error.WriteLineAsync(exception.Message + Environment.NewLine);
    await Console.Error.WriteLineAsync(BenchOptions.Usage);
    return exception.Message.Length > 0 ? 2 : 0;
}

if (options.RelayMode)
    return await RelayMode.RunAsync(options.Tuning);
if (options.SchemaMode)
{
    // The DDL every configuration run's database gets (for pgbench comparisons of the write path on the server alone).
    Console.WriteLine(BenchDbContext.CreateScript());
    return 0;
}

var started = DateTimeOffset.UtcNow;
var runId = started.ToString("MMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..4];
var outDir = options.Out ?? Path.Combine(TestInfrastructure.RepositoryRoot, "bench", "results", started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
Directory.CreateDirectory(outDir);
var machine = Machine.Describe();
var databaseSettings = await Machine.DatabaseAsync();
Log($"run {runId}: {machine}; {databaseSettings}");
Log($"events {options.Events:N0}, reps {options.Reps}, S1 writers {options.Writers}, S2 {options.S2Seconds} s at {string.Join("/", options.S2Rates)}/s, "
    + $"write path {options.WriteTransactions:N0} tx at {string.Join("/", options.WriteWriters)} writer(s); results in {outDir}");

await using var scenarios = new Scenarios(options, runId);
var clock = Stopwatch.StartNew();
bool Has(string s) => options.Only.Contains(s);

if (options.Warmup)
{
    // One discarded round of every path: the first executions of a path run tier-0 and then PGO-instrumented code while the
    // tiering thread recompiles (measured: ~3,000-4,000 methods jitted and up to 2x the CPU per transaction in a first
    // write-path run, against a handful afterwards). Measured runs report how many methods were jitted during them.
    Log("warm-up round (discarded)");
    if (Has("s3") || Has("s1"))
        await scenarios.S3Async(0, Math.Min(2_000, options.Events), record: false);
    if (Has("s1"))
        await scenarios.S1Async(0, Math.Min(1_000, options.Events), record: false);
    if (Has("write") || Has("s2"))
    {
        foreach (var writers in options.WriteWriters)
        {
            foreach (var kind in options.WriteKinds)
                await scenarios.WriteAsync(0, kind, writers, 1_000, record: false);
        }
    }
    if (Has("s2"))
    {
        await scenarios.S2Async(0, 300, RelayPlacement.Same, TimeSpan.FromSeconds(3), record: false);
        await scenarios.S2Async(0, 300, RelayPlacement.Second, TimeSpan.FromSeconds(3), record: false);
    }
}

for (var rep = 1; rep <= options.Reps; rep++)
{
    if (Has("s3"))
        Progress(await scenarios.S3Async(rep, options.Events));
    if (Has("s1"))
    {
        Progress(await scenarios.S1Async(rep, options.Events));
        if (options.Peer && !options.Durable && !options.Seed)
        {
            var peer = await Peer.DrainAsync(rep, options.Events, options.Writers);
            scenarios.Results.Add(peer);
            Progress(peer);
        }
    }
    if (Has("write"))
    {
        foreach (var writers in options.WriteWriters)
        {
            foreach (var kind in options.WriteKinds)
                Progress(await scenarios.WriteAsync(rep, kind, writers, options.WriteTransactions));
        }
    }
    if (Has("s2"))
    {
        var duration = TimeSpan.FromSeconds(options.S2Seconds);
        foreach (var rate in options.S2Rates)
        {
            Progress(await scenarios.S2Async(rep, rate, RelayPlacement.Same, duration));
            Progress(await scenarios.S2Async(rep, rate, RelayPlacement.Second, duration));
            if (options.Scheduled > 0)
                Progress(await scenarios.S2Async(rep, rate, RelayPlacement.Second, duration, scheduled: options.Scheduled));
            if (options.Peer && !options.Durable)
            {
                var peer = await Peer.S2Async(rep, rate, duration);
                scenarios.Results.Add(peer);
                Progress(peer);
            }
        }
        if (options.TwoRelayRate > 0)
            Progress(await scenarios.S2Async(rep, options.TwoRelayRate, RelayPlacement.Both, duration));
    }
}

var command = "bench/run.sh" + (options.Raw.Count > 0 ? " " + string.Join(' ', options.Raw) : "");
var report = Report.Markdown(scenarios.Results, options, machine, databaseSettings, started, clock.Elapsed, command);
await File.WriteAllTextAsync(Path.Combine(outDir, "results.md"), report);
await File.WriteAllTextAsync(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(new
{
    runId,
    started,
    elapsedSeconds = clock.Elapsed.TotalSeconds,
    command,
    machine,
    database = databaseSettings,
    options = new
    {
        options.Events, options.Reps, options.Writers, options.S2Seconds, options.S2Rates, options.TwoRelayRate,
        options.WriteTransactions, options.WriteWriters, options.S3Concurrency, options.Tuning,
    },
    results = scenarios.Results,
}, Report.Json));
Console.WriteLine(report);
Log($"done in {clock.Elapsed.TotalMinutes:0.0} min; results in {outDir}");
return 0;

void Progress(Measurement m)
{
    var v = m.Values;
    string F(string key, string format = "N0") => v.TryGetValue(key, out var x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
    var text = m.Scenario switch
    {
        "S1" => $"write {F("writeTxPerSec")} tx/s, drain {F("msgPerSec")} msg/s ({F("arrived")}/{F("sent")}), relay WS peak {F("relayWsPeakMB", "N0")} MB",
        "S3" => $"{F("msgPerSec")} msg/s ({F("arrived")}/{F("sent")})",
        "W" => $"{F("txPerSec")} tx/s",
        _ => $"p50 {F("p50", "N1")} p99 {F("p99", "N1")} max {F("max", "N1")} ms, {F("arrived")}/{F("sent")} arrived",
    };
    Log($"[{clock.Elapsed:mm\\:ss}] rep {m.Rep} {m.Scenario} {m.Config}: {text}");
}

static void Log(string message) => Console.Error.WriteLine($"[bench] {message}");

/// <summary>What the figures were measured on.</summary>
static class Machine
{
    /// <summary>The PostgreSQL server and the settings a write-path figure depends on.</summary>
    public static async Task<string> DatabaseAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestInfrastructure.PostgresAdmin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes'), inet_server_port()",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"PostgreSQL {reader.GetString(0)} on port {reader.GetInt32(4)}: fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, full_page_writes={reader.GetString(3)}";
    }

    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory:0.0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, "
            + $".NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC");
    }
}
