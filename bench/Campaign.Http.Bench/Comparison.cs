using System.Globalization;
using System.Text;
using System.Text.Json;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.Http.Bench;

/// <summary>
/// Issue 14's A/B: the full system (A: the three services, outbox, broker, consumers, mail) against the baseline host (B:
/// the same contribution endpoint, validation, sign-in and database, no messaging), one after the other in one invocation.
/// For each, the rate steps up until a 30 s run misses p99 &lt; the limit, errs, or falls behind; the last run that held is
/// its highest sustained rate, and its CPU per contribution of every process is reported beside the other's.
/// </summary>
static class Comparison
{
    static readonly string BaselineDll = Path.Combine(TestInfrastructure.RepositoryRoot, "bench", "Campaign.Http.Baseline", "bin", "Release",
        "net10.0", "Campaign.Http.Baseline.dll");

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static async Task<int> RunAsync(Options options)
    {
        var a = await MeasureAsync("A: full system", options, baseline: false);
        var b = await MeasureAsync("B: baseline, no messaging", options, baseline: true);
        var report = Report(options, a, b);
        Console.WriteLine(report);
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, "bench", "results", $"http-ab-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "results.md"), report);
        await File.WriteAllTextAsync(Path.Combine(folder, "results.json"),
            JsonSerializer.Serialize(new { options, a, b }, Indented));
        Program.Log($"written to {folder}");
        return 0;
    }

    sealed record Steps(string Name, List<RunResult> Runs, RunResult? Sustained);

    static async Task<Steps> MeasureAsync(string name, Options options, bool baseline)
    {
        var system = CampaignSystem.Create(options.Settings);
        await using (system)
        {
            IReadOnlyList<ServiceProcess> measured = system.Services;
            if (baseline)
            {
                if (!File.Exists(BaselineDll))
                    throw new InvalidOperationException($"{BaselineDll} does not exist: bench/http.sh builds it.");
                system.Finance.Dll = BaselineDll;
                measured = [system.Finance];
            }
            Program.Log($"{name}: starting {string.Join(", ", measured.Select(s => s.Service))} (logs: {system.LogFolder})");
            foreach (var service in measured)
                service.Start();
            await Task.WhenAll(measured.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));

            using var http = new HttpClient(new TestTokens.Handler(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) }))
            {
                BaseAddress = system.Finance.BaseAddress,
                Timeout = TimeSpan.FromSeconds(30),
            };
            var target = new Target(system.RunId, measured, WithEffects: !baseline);

            // The runtime's tiered JIT recompiles hot methods for a minute or more after start; measure after it.
            if (options.WarmupSeconds > 0)
            {
                Program.Log($"{name}: warm-up {options.WarmupSeconds} s at {options.StartRate}/s (not reported)");
                await Program.RunAsync(target, http, options with { Rate = options.StartRate, Seconds = options.WarmupSeconds }, "warmup");
            }

            var runs = new List<RunResult>();
            RunResult? sustained = null;
            for (var rate = options.StartRate; runs.Count < 12; rate = Math.Max(rate + 1, rate * (100 + options.StepPercent) / 100))
            {
                var run = await Program.RunAsync(target, http, options with { Rate = rate }, $"r{rate}");
                runs.Add(run);
                var verdict = Holds(run, options);
                Program.Log($"{name}: {run}{(verdict is null ? "" : $" -> {verdict}")}");
                if (verdict is not null)
                    break;
                sustained = run;
            }
            return new Steps(name, runs, sustained);
        }
    }

    /// <summary>Why a run does not count as sustained, or null when it does.</summary>
    static string? Holds(RunResult run, Options options) =>
        run.Errors > 0 ? $"{run.Errors} errors"
        : !(run.P99Ms < options.P99LimitMs) ? $"p99 {run.P99Ms:N1} ms >= {options.P99LimitMs} ms"
        : run.Throughput < 0.97 * run.OfferedRate ? $"fell behind ({run.Throughput:N1} responses/s)"
        : null;

    static string Report(Options options, Steps a, Steps b)
    {
        static string F(double v) => Program.F(v);
        string[] processes = [nameof(Service.CampaignFinance), nameof(Service.VolunteerCoordinator), nameof(Service.Communications),
            ProcessCpu.PostgreSql, ProcessCpu.RabbitMq, ProcessCpu.Smtp, ProcessCpu.Client];
        static double Cpu(RunResult? run, string process) => run?.CpuMs.GetValueOrDefault(process, double.NaN) ?? double.NaN;
        static double Services(RunResult? run) =>
            run is null ? double.NaN : new[] { nameof(Service.CampaignFinance), nameof(Service.VolunteerCoordinator), nameof(Service.Communications) }
                .Where(run.CpuMs.ContainsKey).Sum(p => run.CpuMs[p]);
        static string Ratio(double x, double y) => double.IsNaN(x) || double.IsNaN(y) || y == 0 ? "—" : (x / y).ToString("N2", CultureInfo.InvariantCulture);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"A/B: contributions each to a new donor, {options.Seconds} s per step from {options.StartRate}/s (+{options.StepPercent} % a step) after a {options.WarmupSeconds} s warm-up; a step holds with no errors, p99 < {options.P99LimitMs} ms and responses keeping up.");
        if (options.Settings.Count > 0)
            text.AppendLine(options.DescribeSettings());
        text.AppendLine();
        text.AppendLine("| | A: full system | B: baseline | A/B |");
        text.AppendLine("|---|---|---|---|");
        double RateOf(Steps s) => s.Sustained?.OfferedRate ?? double.NaN;
        text.AppendLine(CultureInfo.InvariantCulture, $"| highest sustained rate (contributions/s) | {F(RateOf(a))} | {F(RateOf(b))} | {Ratio(RateOf(a), RateOf(b))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| p50 / p99 at that rate (ms) | {F(a.Sustained?.P50Ms ?? double.NaN)} / {F(a.Sustained?.P99Ms ?? double.NaN)} | {F(b.Sustained?.P50Ms ?? double.NaN)} / {F(b.Sustained?.P99Ms ?? double.NaN)} | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| last response → last thank-you email (ms) | {F(a.Sustained?.LastEmailAfterMs ?? double.NaN)} | — | |");
        foreach (var process in processes)
            text.AppendLine(CultureInfo.InvariantCulture, $"| CPU ms per contribution: {process} | {F(Cpu(a.Sustained, process))} | {F(Cpu(b.Sustained, process))} | {Ratio(Cpu(a.Sustained, process), Cpu(b.Sustained, process))} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| CPU ms per contribution: the services together | {F(Services(a.Sustained))} | {F(Services(b.Sustained))} | {Ratio(Services(a.Sustained), Services(b.Sustained))} |");
        text.AppendLine();
        foreach (var steps in new[] { a, b })
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{steps.Name}, every step (CPU ms per contribution):");
            text.AppendLine();
            text.AppendLine("| rate | responses/s | p50 ms | p99 ms | errors | last email after ms | " + string.Join(" | ", processes) + " |");
            text.AppendLine("|---|---|---|---|---|---|" + string.Concat(processes.Select(_ => "---|")));
            foreach (var run in steps.Runs)
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {F(run.OfferedRate)} | {F(run.Throughput)} | {F(run.P50Ms)} | {F(run.P99Ms)} | {run.Errors} | {F(run.LastEmailAfterMs)} | {string.Join(" | ", processes.Select(p => F(Cpu(run, p))))} |");
            text.AppendLine();
        }
        return text.ToString();
    }
}
