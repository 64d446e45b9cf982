using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.Http.Bench;

/// <summary>
/// Starts the three services as processes, then per run: registers N new donors (not measured), posts one contribution to
/// each at a steady rate (open loop: request i is due at start + i / rate, and its response time counts from then), and
/// waits until every thank-you email is sent and every thank-you call exists.
/// </summary>
static class Program
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    static async Task<int> Main(string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
        {
            Console.WriteLine("""
                Campaign.Http.Bench [--rate 200] [--seconds 30] [--runs 3] [--warmup-seconds 5] [--drain-seconds 300] [--setting KEY=VALUE]...
                Campaign.Http.Bench --compare [--start-rate 20] [--step-percent 50] [--p99-limit-ms 50] [--seconds 30] [--warmup-seconds 60]
                  Posts contributions to CampaignFinance at --rate requests/s for --seconds, each to a new donor, --runs times
                  (after a warm-up run that is not reported), with the three services running as processes.
                  --compare: the full system (A) and the baseline host without messaging (B, bench/Campaign.Http.Baseline),
                  one after the other: from --start-rate, the rate grows by --step-percent until a run's p99 reaches
                  --p99-limit-ms, errs or falls behind; prints each one's highest sustained rate and CPU ms per contribution
                  of every process, and the A/B ratios.
                  --drain-seconds: how long to wait after the last response for every email and call.
                Campaign.Http.Bench --schedule-a [--contributions 100000] [--donors 30000] [--runs 3]
                  Form 8872 Schedule A of a year of that many contributions (seeded by SQL), as JSON and as CSV, --runs times
                  each: seconds to the last byte and CampaignFinance's resident memory.
                  --setting adds an environment variable to every service (e.g. Logging__LogLevel__Default=Warning).
                """);
            return 2;
        }

        if (options.Compare)
            return await Comparison.RunAsync(options);
        if (options.ScheduleA)
            return await ScheduleABench.RunAsync(options.Contributions, options.Donors, options.Runs);

        Log($"starting the three services (logs: {CampaignSystem.LogRoot})");
        await using var system = await CampaignSystem.StartAsync(options.Settings);
        Log($"ready: finance {system.Finance.BaseAddress}, run id {system.RunId}");

        using var http = new HttpClient(new TestTokens.Handler(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) }))
        {
            BaseAddress = system.Finance.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

        if (options.WarmupSeconds > 0)
        {
            Log($"warm-up: {options.WarmupSeconds} s at {options.Rate}/s (not reported)");
            await RunAsync(system, http, options with { Seconds = options.WarmupSeconds }, "warmup");
        }

        // Every service fetches the issuer's discovery document and keys once and caches them: count what they fetch while the
        // timed runs go (the load client's own token requests are not counted).
        var metadataFetchesBefore = IssuerMetadataFetches();
        var results = new List<RunResult>();
        for (var run = 1; run <= options.Runs; run++)
        {
            Log($"run {run}/{options.Runs}: {options.Seconds} s at {options.Rate}/s");
            var result = await RunAsync(system, http, options, $"run{run}");
            results.Add(result);
            Log(result.ToString());
        }

        var metadataFetches = IssuerMetadataFetches() - metadataFetchesBefore;
        Log("measuring what token validation and the audit trail add per request");
        var report = Report(options, results)
            + $"\nSign-in and audit, per request (the services validate every token locally: the issuer's discovery document and keys "
            + $"were fetched {metadataFetches} times during {results.Sum(r => r.Requests):N0} requests):\n\n"
            + await SignInCost.MeasureAsync(validations: 20_000, audits: 2_000);
        Console.WriteLine(report);
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, "bench", "results", $"http-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "results.md"), report);
        await File.WriteAllTextAsync(Path.Combine(folder, "results.json"),
            JsonSerializer.Serialize(new { options, results }, Indented));
        Log($"written to {folder}");
        return 0;
    }

    static Task<RunResult> RunAsync(CampaignSystem system, HttpClient http, Options options, string label) =>
        RunAsync(new Target(system.RunId, system.Services, WithEffects: true), http, options, label);

    /// <summary>One timed run against <paramref name="target"/>: the donors first, then the contributions at the rate.</summary>
    internal static async Task<RunResult> RunAsync(Target target, HttpClient http, Options options, string label)
    {
        var count = options.Rate * options.Seconds;
        var domain = $"{label}.{target.RunId}.bench.example";

        // 1. The donors, before the clock starts.
        var donors = new Guid[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var posted = await CampaignApi.PostAsync(http, "/donors", new { name = $"Bench Donor {i}", email = $"donor{i}@{domain}" }, null, ct);
            donors[i] = posted.Status == HttpStatusCode.Created ? posted.Id!.Value : throw new InvalidOperationException($"POST /donors: {posted.Status} {posted.Body}");
        });
        var loadAverage = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var cpuBefore = ProcessCpu.Snapshot(target.Services);

        // 2. The contributions, open loop.
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            amount = 25m,
            currency = "USD",
            receivedOn = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            method = "card",
        }));
        var clock = Stopwatch.StartNew();
        var tasks = new Task<Sample>[count];
        double maxLagMs = 0;
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / options.Rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            maxLagMs = Math.Max(maxLagMs, (clock.Elapsed - due).TotalMilliseconds);
            tasks[i] = PostContributionAsync(http, donors[i], body, clock, due);
        }
        var sendSeconds = clock.Elapsed.TotalSeconds;
        var samples = await Task.WhenAll(tasks);
        var responseSeconds = clock.Elapsed.TotalSeconds;
        var lastResponseAt = DateTime.UtcNow;

        // 3. Until every secured donor (a committed contribution, whether or not its response reached us in time) has a sent
        // thank-you email and a call; the databases' own time stamps say when the last of them happened.
        var donorKeys = donors.Select(d => d.ToString()).ToArray(); // one text[] parameter, not params
        var waitClock = Stopwatch.StartNew();
        long sent = 0, calls = 0;
        var created = 0;
        while (true)
        {
            created = (int)await SystemDatabases.ScalarAsync<long>(Service.CampaignFinance,
                """SELECT count(*) FROM "Donors" WHERE "Id" = ANY($1) AND "SecuredAt" IS NOT NULL""", donors);
            if (!target.WithEffects || waitClock.Elapsed >= TimeSpan.FromSeconds(options.DrainSeconds))
                break;
            // By kind and donor: the unique index (a LIKE on the address scanned the whole table, and its cost was counted
            // as PostgreSQL's CPU per contribution).
            sent = await SystemDatabases.ScalarAsync<long>(Service.Communications,
                """SELECT count(*) FROM "OutboundMessages" WHERE "Kind" = 'donor-thank-you' AND "SourceEventKey" = ANY($1) AND "Status" = 'sent'""",
                (object)donorKeys);
            calls = await SystemDatabases.ScalarAsync<long>(Service.VolunteerCoordinator,
                """SELECT count(*) FROM "ThankYouCalls" WHERE "DonorId" = ANY($1)""", donors);
            if (sent >= created && calls >= created)
                break;
            await Task.Delay(100); // the times reported come from the databases' time stamps, not from this poll
        }
        var observedSeconds = waitClock.Elapsed.TotalSeconds;
        var cpuMs = ProcessCpu.PerContribution(cpuBefore, ProcessCpu.Snapshot(target.Services), created);
        double lastEmailAfterMs = double.NaN, lastCallAfterMs = double.NaN;
        if (target.WithEffects)
        {
            var lastSent = await SystemDatabases.ScalarAsync<DateTime>(Service.Communications,
                """SELECT max("SentAt") FROM "OutboundMessages" WHERE "Kind" = 'donor-thank-you' AND "SourceEventKey" = ANY($1)""", (object)donorKeys);
            var lastCall = await SystemDatabases.ScalarAsync<DateTime>(Service.VolunteerCoordinator,
                """SELECT max("CreatedAt") FROM "ThankYouCalls" WHERE "DonorId" = ANY($1)""", donors);
            lastEmailAfterMs = (lastSent.ToUniversalTime() - lastResponseAt).TotalMilliseconds;
            lastCallAfterMs = (lastCall.ToUniversalTime() - lastResponseAt).TotalMilliseconds;
        }

        var latencies = samples.Where(s => s.Ok).Select(s => s.Milliseconds).Order().ToArray();
        return new RunResult(
            label,
            count,
            samples.Count(s => !s.Ok),
            string.Join(", ", samples.Where(s => !s.Ok).GroupBy(s => s.Error).Select(g => $"{g.Key} x{g.Count()}")),
            count / sendSeconds,
            samples.Count(s => s.Ok) / responseSeconds,
            created,
            Percentile(latencies, 50),
            Percentile(latencies, 99),
            latencies.Length == 0 ? double.NaN : latencies[^1],
            maxLagMs,
            sent,
            calls,
            lastEmailAfterMs,
            lastCallAfterMs,
            observedSeconds * 1000,
            loadAverage,
            cpuMs);
    }

    static async Task<Sample> PostContributionAsync(HttpClient http, Guid donor, byte[] body, Stopwatch clock, TimeSpan due)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(new Uri($"/donors/{donor}/contributions", UriKind.Relative), content);
            await response.Content.ReadAsByteArrayAsync();
            var ms = (clock.Elapsed - due).TotalMilliseconds;
            return response.StatusCode == HttpStatusCode.Created ? new Sample(true, ms, null) : new Sample(false, ms, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return new Sample(false, (clock.Elapsed - due).TotalMilliseconds, exception.GetType().Name);
        }
    }

    /// <summary>Requests for the issuer's discovery document or keys so far (its request log, .local/logs/issuer.log).</summary>
    static int IssuerMetadataFetches()
    {
        var log = Path.Combine(TestInfrastructure.RepositoryRoot, ".local", "logs", "issuer.log");
        return File.Exists(log) ? File.ReadLines(log).Count(l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("/.well-known/", StringComparison.Ordinal)) : 0;
    }

    /// <summary>A figure as the reports print it: two decimals below 10, one above, a dash when there is none.</summary>
    internal static string F(double v) => double.IsNaN(v) ? "—" : v.ToString(Math.Abs(v) < 10 ? "N2" : "N1", CultureInfo.InvariantCulture);

    internal static double Percentile(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    static string Report(Options options, List<RunResult> runs)
    {
        static string Summary(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            return sorted.Length == 1 ? F(median) : $"{F(median)} ({F(sorted[0])}–{F(sorted[^1])})";
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Contributions at {options.Rate}/s for {options.Seconds} s, each to a new donor; {runs.Count} runs; median (min–max).");
        if (options.Settings.Count > 0)
            text.AppendLine(options.DescribeSettings());
        text.AppendLine();
        text.AppendLine("| | value |");
        text.AppendLine("|---|---|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| requests per run | {runs[0].Requests} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| errors (all runs) | {runs.Sum(r => r.Errors)}{(runs.Any(r => r.Errors > 0) ? " — " + string.Join("; ", runs.Where(r => r.Errors > 0).Select(r => r.ErrorKinds)) : "")} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| requests sent per s | {Summary(runs.Select(r => r.OfferedRate))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 201 responses per s (until the last response) | {Summary(runs.Select(r => r.Throughput))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| response time p50 (ms) | {Summary(runs.Select(r => r.P50Ms))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| response time p99 (ms) | {Summary(runs.Select(r => r.P99Ms))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| response time max (ms) | {Summary(runs.Select(r => r.MaxMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| client send lag max (ms) | {Summary(runs.Select(r => r.MaxSendLagMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| last response → last thank-you email sent (ms) | {Summary(runs.Select(r => r.LastEmailAfterMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| last response → last thank-you call created (ms) | {Summary(runs.Select(r => r.LastCallAfterMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| emails sent / calls created / contributions committed (all runs) | {runs.Sum(r => r.EmailsSent)} / {runs.Sum(r => r.CallsCreated)} / {runs.Sum(r => r.Committed)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| CPU ms per contribution: CampaignFinance | {Summary(runs.Select(r => r.FinanceCpuMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| CPU ms per contribution: VolunteerCoordinator | {Summary(runs.Select(r => r.VolunteersCpuMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| CPU ms per contribution: Communications | {Summary(runs.Select(r => r.CommunicationsCpuMs))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 1-min load average at start | {string.Join(", ", runs.Select(r => r.LoadAverage))} |");
        text.AppendLine();
        text.AppendLine("| run | p50 ms | p99 ms | max ms | errors | last email after ms | last call after ms |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in runs)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Label} | {F(r.P50Ms)} | {F(r.P99Ms)} | {F(r.MaxMs)} | {r.Errors} | {F(r.LastEmailAfterMs)} | {F(r.LastCallAfterMs)} |");
        return text.ToString();
    }

    internal static void Log(string message) => Console.Error.WriteLine($"[http-bench {DateTime.Now:HH:mm:ss}] {message}");
}

readonly record struct Sample(bool Ok, double Milliseconds, string? Error);

/// <summary>What a run posts to: the processes it measures, and whether it waits for every email and call (the full system).</summary>
sealed record Target(string RunId, IReadOnlyList<ServiceProcess> Services, bool WithEffects);

/// <summary>One timed run; <c>CpuMs</c> is the CPU ms per committed contribution of every process (services, servers, load client), by name.</summary>
sealed record RunResult(string Label, int Requests, int Errors, string ErrorKinds, double OfferedRate, double Throughput, int Committed, double P50Ms, double P99Ms, double MaxMs,
    double MaxSendLagMs, long EmailsSent, long CallsCreated, double LastEmailAfterMs, double LastCallAfterMs, double ObservedWaitMs, string LoadAverage,
    Dictionary<string, double> CpuMs)
{
    public double FinanceCpuMs => CpuMs.GetValueOrDefault(nameof(Service.CampaignFinance), double.NaN);

    public double VolunteersCpuMs => CpuMs.GetValueOrDefault(nameof(Service.VolunteerCoordinator), double.NaN);

    public double CommunicationsCpuMs => CpuMs.GetValueOrDefault(nameof(Service.Communications), double.NaN);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Label}: {Requests} requests sent at {OfferedRate:N1}/s, {Errors} errors, {Throughput:N1} responses/s, {Committed} committed, p50 {P50Ms:N1} ms, p99 {P99Ms:N1} ms, max {MaxMs:N1} ms, send lag max {MaxSendLagMs:N1} ms; "
            + $"emails sent {EmailsSent}, calls {CallsCreated}; last email {LastEmailAfterMs:N0} ms and last call {LastCallAfterMs:N0} ms after the last response; load {LoadAverage}; "
            + $"CPU ms per contribution: finance {FinanceCpuMs:N2}, volunteers {VolunteersCpuMs:N2}, communications {CommunicationsCpuMs:N2}");
}

/// <summary>The command line; <c>Compare</c> finds the highest sustained rate of the full system (A) and of the baseline host (B).</summary>
sealed record Options(int Rate, int Seconds, int Runs, int WarmupSeconds, int DrainSeconds,
    [property: System.Text.Json.Serialization.JsonIgnore] Dictionary<string, string> Settings, // may hold passwords: described redacted, never written whole
    bool Compare = false, int StartRate = 20, int StepPercent = 50, int P99LimitMs = 50,
    bool ScheduleA = false, int Contributions = 100_000, int Donors = 30_000)
{
    public static Options? Parse(string[] args)
    {
        var options = new Options(200, 30, 3, 5, 300, []);
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new ArgumentException($"{args[i]} needs a number");
            options = args[i] switch
            {
                "--rate" => options with { Rate = Next() },
                "--seconds" => options with { Seconds = Next() },
                "--runs" => options with { Runs = Next() },
                "--warmup-seconds" => options with { WarmupSeconds = Next() },
                "--drain-seconds" => options with { DrainSeconds = Next() },
                "--compare" => options with { Compare = true },
                "--schedule-a" => options with { ScheduleA = true },
                "--contributions" => options with { Contributions = Next() },
                "--donors" => options with { Donors = Next() },
                "--start-rate" => options with { StartRate = Next() },
                "--step-percent" => options with { StepPercent = Next() },
                "--p99-limit-ms" => options with { P99LimitMs = Next() },
                "--setting" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal) => options.With(args[++i]),
                _ => null,
            };
            if (options is null)
                return null;
        }
        return options.Rate > 0 && options.Seconds > 0 && options.Runs > 0 && options.StartRate > 0 && options.StepPercent > 0 ? options : null;
    }

    /// <summary>The line the reports print when services ran with extra settings.</summary>
    public string DescribeSettings() =>
        $"Service settings: {string.Join(", ", Settings.Select(kv => $"{kv.Key}={System.Text.RegularExpressions.Regex.Replace(kv.Value, "(?i)(password=)[^;]*", "$1***")}"))}.";

    Options With(string setting)
    {
        var separator = setting.IndexOf('=', StringComparison.Ordinal);
        Settings[setting[..separator]] = setting[(separator + 1)..];
        return this;
    }
}
