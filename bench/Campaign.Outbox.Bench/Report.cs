using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Campaign.Outbox.Bench;

/// <summary>The markdown tables: median (min–max) over the interleaved repetitions; ratios taken within each repetition.</summary>
static class Report
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Markdown(IReadOnlyList<Measurement> results, BenchOptions options, string machine, string database,
        DateTimeOffset started, TimeSpan elapsed, string command)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(options);
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');

        Line(Inv($"## Campaign.Outbox benchmark, {started:yyyy-MM-dd HH:mm} UTC"));
        Line();
        Line($"- machine: {machine}");
        Line($"- database: {database}");
        Line(Inv($"- command: `{command}` ({elapsed.TotalMinutes:0.0} min)"));
        Line(Inv($"- {options.Reps} interleaved repetitions per configuration; median (min–max); ratios taken within each repetition"));
        Line();

        var s3 = Of(results, "S3");
        var s1 = Ours(Of(results, "S1"));
        var s1Peer = Of(results, "S1").Except(s1).ToList();
        if (s3.Count > 0 || s1.Count > 0)
        {
            var n = (s1.Count > 0 ? s1 : s3)[0].Values["sent"];
            Line(Inv($"### S1 backlog drain vs S3 direct ceiling ({n:N0} events)"));
            Line();
            Line("| scenario | msg/s | ratio to S3 | write phase tx/s | arrived |");
            Line("|---|---|---|---|---|");
            if (s3.Count > 0)
                Line(Inv($"| S3 direct publish + consume (confirms, {options.S3Concurrency} in flight) | {S(s3, "msgPerSec")} | 1 | — | {Arrived(s3)} |"));
            if (s1.Count > 0)
            {
                Line(Inv($"| S1 drain, relay in a 2nd process ({options.Writers} writers in the write phase) | {S(s1, "msgPerSec")} | {DrainRatio(results).Format("N2")} | {S(s1, "writeTxPerSec")} | {Arrived(s1)} |"));
                if (s1Peer.Count > 0)
                    Line(Inv($"| S1 drain, {Peer.DrainName} (sending latched while writing) | {S(s1Peer, "msgPerSec")} | {PeerDrainRatio(results).Format("N2")} | {S(s1Peer, "writeTxPerSec")} | {Arrived(s1Peer)} |"));
                Line();
                Line("Relay process during the drain (sampled every 50 ms):");
                Line();
                Line("| working set at start | peak | at end | managed heap peak | CPU s | allocated KB/msg | gen2 GCs | msg per pass | relay failures / warnings | left in outbox |");
                Line("|---|---|---|---|---|---|---|---|---|---|");
                Line(Inv($"| {S(s1, "relayWsBaselineMB", "N0")} MB | {S(s1, "relayWsPeakMB", "N0")} MB | {S(s1, "relayWsEndMB", "N0")} MB | {S(s1, "relayHeapPeakMB", "N0")} MB | {S(s1, "relayCpuSeconds", "N1")} | {S(s1, "relayAllocatedKBPerMsg", "N1")} | {S(s1, "relayGen2")} | {S(s1, "relayMsgPerPass", "N0")} | {S(s1, "relayFailures")} / {S(s1, "relayWarnings")} | {S(s1, "leftInOutbox")} |"));
            }
            Line();
        }

        var s2 = Of(results, "S2");
        if (s2.Count > 0)
        {
            Line(Inv($"### S2 steady latency ({options.S2Seconds:0.#} s per run; ms from the stamp taken at publish, right before SaveChanges)"));
            Line();
            Line("| rate, relay | arrived | p50 | p95 | p99 | max | from commit p50 / p99 | achieved rate |");
            Line("|---|---|---|---|---|---|---|---|");
            foreach (var group in s2.GroupBy(m => m.Config))
            {
                var g = group.ToList();
                Line($"| {group.Key} | {Arrived(g)} | {S(g, "p50", "N1")} | {S(g, "p95", "N1")} | {S(g, "p99", "N1")} | {S(g, "max", "N1")} | {S(g, "commitP50", "N1")} / {S(g, "commitP99", "N1")} | {S(g, "achievedRate", "N0")}/s |");
            }
            Line();

            Line("Work per message in the measured window. *Relay*: its own counters (passes that delivered; database round trips: claims, "
                + "and records that did not ride with the next claim). *Process*: every database command (Npgsql's meter) and all CPU (/proc) of "
                + "the process that runs the relay; in the writer's process (and Wolverine's) that includes the writers and the consumer, and the "
                + "relay's CPU there is derived: that process's CPU per message minus the writer process's of the 2nd-process run at the same rate "
                + "and repetition (writers and consumer without a relay).");
            Line();
            Line("| rate, relay | delivered by it | msg per delivering pass | relay round trips per msg | DB commands per msg (process) | relay CPU ms per msg | process CPU ms per msg |");
            Line("|---|---|---|---|---|---|---|");
            foreach (var group in s2.GroupBy(m => m.Config))
            {
                var work = group.Select(m => Work(m, s2)).ToList();
                string R(Func<S2Work, double> f, string format) => Summary.Of(work.Select(f)).Format(format);
                Line($"| {group.Key} | {R(x => x.Delivered, "N0")} | {R(x => x.PerPass, "N1")} | {R(x => x.RoundTrips, "N2")} | {R(x => x.Commands, "N2")} | {R(x => x.RelayCpu, "N2")} | {R(x => x.ProcessCpu, "N2")} |");
            }
            Line();
        }

        var w = Of(results, "W");
        if (w.Count > 0)
        {
            Line(Inv($"### Write path ({options.WriteTransactions:N0} transactions per run; one business row, + one outbox publish)"));
            Line();
            var trigger = w.Any(m => (int)m.Values["kind"] == (int)WriteKind.OutboxNotifyTrigger);
            Line("| writers | plain EF insert tx/s | EF insert + outbox publish tx/s | ratio |" + (trigger ? " with the NOTIFY trigger (before) tx/s | ratio |" : ""));
            Line("|---|---|---|---|" + (trigger ? "---|---|" : ""));
            foreach (var writers in options.WriteWriters)
            {
                var before = trigger
                    ? $" {S(Kind(w, writers, WriteKind.OutboxNotifyTrigger), "txPerSec")} | {WriteRatio(results, writers, WriteKind.OutboxNotifyTrigger).Format("N2")} |"
                    : "";
                Line($"| {writers} | {S(Kind(w, writers, WriteKind.Plain), "txPerSec")} | {S(Kind(w, writers, WriteKind.Outbox), "txPerSec")} | {WriteRatio(results, writers).Format("N2")} |{before}");
            }
            Line();

            if (w.Any(m => m.Values["kind"] is 2 or 3))
            {
                Line("Diagnostics (same repetitions): where the write path's cost comes from, each as a ratio to the plain insert of its repetition.");
                Line();
                Line("| writers | variant | tx/s | ratio to plain |");
                Line("|---|---|---|---|");
                foreach (var writers in options.WriteWriters)
                {
                    foreach (var kind in new[] { WriteKind.Plain, WriteKind.PlainInTransaction, WriteKind.OutboxWithoutNotify, WriteKind.Outbox, WriteKind.OutboxNotifyTrigger })
                        Line($"| {writers} | {Scenarios.Describe(kind)} | {S(Kind(w, writers, kind), "txPerSec")} | {WriteRatio(results, writers, kind).Format("N2")} |");
                }
                Line();
            }
        }

        Line("### Where the CPU went");
        Line();
        Line("Cores in use during the timed phase (median; the machine has " + Environment.ProcessorCount + "), then CPU milliseconds per operation "
            + "(transaction or message) by process, read from /proc. \"other\" is everything that is not this benchmark, PostgreSQL or RabbitMQ "
            + "(on this shared machine: other engineers' builds and tests).");
        Line();
        Line("| phase | bench process | relay process | postgres | rabbitmq | other (not ours) | machine | CPU ms/op: bench / relay / postgres / rabbitmq | methods jitted: bench / relay |");
        Line("|---|---|---|---|---|---|---|---|---|");
        foreach (var (label, measurements, phase, ops) in CpuPhases(results))
        {
            double Cores(Measurement m, string key) => m.Cpu.TryGetValue(phase, out var c) && c.TryGetValue(key, out var v) ? v : double.NaN;
            string C(string key) => Summary.Of(measurements.Select(m => Cores(m, key))).Format("N2");
            string P(string key) => Summary.Of(measurements.Select(m => Cores(m, key) * Cores(m, "seconds") * 1000 / m.Values[ops]))
                .Median.ToString("N3", CultureInfo.InvariantCulture);
            string J(string key) => measurements.Any(m => m.Values.ContainsKey(key)) ? S(measurements, key) : "—";
            var benchJit = phase == "drain" ? "—" : J("benchJitMethods");
            var relayJit = phase == "write" ? "—" : J("relayJitMethods");
            Line($"| {label} | {C("bench")} | {C("relay")} | {C("postgres")} | {C("rabbitmq")} | {C("other")} | {C("machine")} | {P("bench")} / {P("relay")} / {P("postgres")} / {P("rabbitmq")} | {benchJit} / {relayJit} |");
        }
        Line();

        Line("### Targets");
        Line();
        Line("| target | measured (median, min–max) | met |");
        Line("|---|---|---|");
        if (s1.Count > 0 && s3.Count > 0)
        {
            var ratio = DrainRatio(results);
            Line($"| S1 drain ≥ 0.75 × S3 | {ratio.Format("N2")} | {Met(ratio.Median >= 0.75)} |");
            var peerRatio = PeerDrainRatio(results);
            if (peerRatio.Count > 0)
                Line($"| S1 drain ahead of {Peer.DrainName} | {ratio.Format("N2")} against {peerRatio.Format("N2")} of S3 | {Met(ratio.Median > peerRatio.Median)} |");
        }
        var targetRate = options.Durable ? 100 : 300;
        var second = s2.Where(m => m.Values["rate"] == targetRate && m.Config.Contains("2nd process", StringComparison.Ordinal)
            && !m.Config.Contains("two", StringComparison.Ordinal)).ToList();
        if (second.Count > 0)
        {
            // Durable mode asks how fast another process's relay wakes after a commit: measured from the commit.
            var p50 = Summary.Of(second.Select(m => m.Values[options.Durable ? "commitP50" : "p50"]));
            var p99 = Summary.Of(second.Select(m => m.Values["p99"]));
            var all = second.All(m => m.Values["arrived"] >= m.Values["sent"]);
            var from = options.Durable ? "from the commit to the consumer" : "from publish";
            Line($"| S2 @{targetRate}/s, relay in a 2nd process, {from}: p50 ≤ 10 ms | {p50.Format("N1")} ms | {Met(p50.Median <= 10)} |");
            if (!options.Durable)
                Line($"| S2 @{targetRate}/s, relay in a 2nd process: p99 ≤ 50 ms | {p99.Format("N1")} ms | {Met(p99.Median <= 50)} |");
            Line($"| S2 @{targetRate}/s, relay in a 2nd process: all events arrive | {Arrived(second)} | {Met(all)} |");
        }
        if (!options.Durable)
        {
            foreach (var group in s2.Where(m => m.Values["rate"] == 300 && !m.Config.Contains("two", StringComparison.Ordinal)
                && m.Values.GetValueOrDefault("peer") == 0).GroupBy(m => m.Config))
            {
                var work = group.Select(m => Work(m, s2)).ToList();
                var trips = Summary.Of(work.Select(x => x.RoundTrips));
                var cpu = Summary.Of(work.Select(x => x.RelayCpu));
                Line($"| S2 {group.Key}: relay round trips per message ≤ 1.2 | {trips.Format("N2")} | {Met(trips.Median <= 1.2)} |");
                Line($"| S2 {group.Key}: relay CPU ≤ 0.3 ms per message | {cpu.Format("N2")} ms | {Met(cpu.Median <= 0.3)} |");
                if (group.Key.Contains("writer's", StringComparison.Ordinal))
                {
                    var p50 = Summary.Of(group.Select(m => m.Values["p50"]));
                    var p99 = Summary.Of(group.Select(m => m.Values["p99"]));
                    Line($"| S2 {group.Key}: p50 ≤ 10 ms, p99 ≤ 50 ms | {p50.Format("N1")} / {p99.Format("N1")} ms | {Met(p50.Median <= 10 && p99.Median <= 50)} |");
                }
            }

            // Ahead of the peer: each placement's median p50 and p99 below the peer's, rate by rate.
            foreach (var peer in s2.Where(m => m.Values.GetValueOrDefault("peer") > 0).GroupBy(m => m.Values["rate"]))
            {
                var peerP50 = Summary.Of(peer.Select(m => m.Values["p50"])).Median;
                var peerP99 = Summary.Of(peer.Select(m => m.Values["p99"])).Median;
                foreach (var ours in s2.Where(m => m.Values["rate"] == peer.Key && m.Values.GetValueOrDefault("peer") == 0
                    && !m.Config.Contains("two", StringComparison.Ordinal)).GroupBy(m => m.Config))
                {
                    var p50 = Summary.Of(ours.Select(m => m.Values["p50"])).Median;
                    var p99 = Summary.Of(ours.Select(m => m.Values["p99"])).Median;
                    Line(Inv($"| S2 {ours.Key}: ahead of {peer.First().Config[(peer.First().Config.IndexOf(',', StringComparison.Ordinal) + 2)..]} (p50 / p99) | {p50:N1} / {p99:N1} against {peerP50:N1} / {peerP99:N1} ms | {Met(p50 < peerP50 && p99 < peerP99)} |"));
                }
            }
        }
        foreach (var writers in options.WriteWriters)
        {
            var ratio = WriteRatio(results, writers);
            var (target, label) = options.Durable ? (0.8, "durable, outbox commits") : (0.85, "write path");
            if (ratio.Count > 0 && (!options.Durable || writers >= 16))
                Line(Inv($"| {label} ≥ {target} × without the outbox ({writers} writer{(writers == 1 ? "" : "s")}) | {ratio.Format("N2")} | {Met(ratio.Median >= target)} |"));
            var inTransaction = Summary.Of(
                from outbox in Kind(Of(results, "W"), writers, WriteKind.Outbox)
                join plain in Kind(Of(results, "W"), writers, WriteKind.PlainInTransaction) on outbox.Rep equals plain.Rep
                select outbox.Values["txPerSec"] / plain.Values["txPerSec"]);
            if (inTransaction.Count > 0 && options.Durable && writers >= 16)
                Line(Inv($"| {label} ≥ {target} × the business insert in an explicit transaction ({writers} writers) | {inTransaction.Format("N2")} | {Met(inTransaction.Median >= target)} |"));
        }
        var failures = results.Sum(m => m.Values.GetValueOrDefault("relayFailures"));
        var warnings = results.Sum(m => m.Values.GetValueOrDefault("relayWarnings") + m.Values.GetValueOrDefault("warnings"));
        var duplicates = results.Sum(m => m.Values.GetValueOrDefault("duplicates"));
        Line(Inv($"| no collapse mode (relay delivery failures, warnings/errors logged, duplicates delivered) | {failures:N0} / {warnings:N0} / {duplicates:N0} | {Met(failures == 0 && warnings == 0)} |"));
        return md.ToString();
    }

    /// <summary>One S2 run's work per message (see the table's caption); NaN where a figure does not apply.</summary>
    internal static S2Work Work(Measurement m, List<Measurement> s2)
    {
        var v = m.Values;
        if (v.GetValueOrDefault("peer") > 0)
        {
            var arrived = Math.Max(1, v["arrived"]);
            return new S2Work(v["arrived"], double.NaN, double.NaN, v["peerDbCommands"] / arrived, double.NaN, v["peerCpuSeconds"] * 1000 / arrived);
        }
        if (v["childDelivered"] > 0)
        {
            var delivered = Math.Max(1, v["childDelivered"]);
            var cpu = v["childCpuSeconds"] * 1000 / delivered;
            return new S2Work(v["childDelivered"], v["childDelivered"] / Math.Max(1, v["childPasses"]), v["childRoundTrips"] / delivered,
                v["childDbCommands"] / delivered, cpu, cpu);
        }
        var inProcess = Math.Max(1, v["inProcessDelivered"]);
        var process = BenchCpuPerMessage(m);
        var withoutRelay = s2.FirstOrDefault(o => o.Rep == m.Rep && o.Values["rate"] == v["rate"] && o.Values.GetValueOrDefault("childDelivered") > 0
            && o.Values.GetValueOrDefault("inProcessDelivered") == 0);
        return new S2Work(v["inProcessDelivered"], v["inProcessDelivered"] / Math.Max(1, v["inProcessPasses"]), v["inProcessRoundTrips"] / inProcess,
            v["benchDbCommands"] / inProcess, withoutRelay is null ? double.NaN : process - BenchCpuPerMessage(withoutRelay), process);
    }

    static double BenchCpuPerMessage(Measurement m) =>
        m.Cpu.TryGetValue("run", out var c) ? c["bench"] * c["seconds"] * 1000 / Math.Max(1, m.Values["sent"]) : double.NaN;

    static IEnumerable<(string Label, List<Measurement> Measurements, string Phase, string Ops)> CpuPhases(IReadOnlyList<Measurement> results)
    {
        var s3 = Of(results, "S3");
        if (s3.Count > 0)
            yield return ("S3 publish + consume", s3, "run", "sent");
        var s1 = Ours(Of(results, "S1"));
        if (s1.Count > 0)
        {
            yield return ("S1 write phase", s1, "write", "sent");
            yield return ("S1 drain", s1, "drain", "sent");
        }
        foreach (var group in Of(results, "W").GroupBy(m => m.Config))
            yield return ($"write path: {group.Key}", group.ToList(), "run", "transactions");
        foreach (var group in Of(results, "S2").Where(m => m.Cpu.Count > 0).GroupBy(m => m.Config))
            yield return ($"S2 {group.Key}", group.ToList(), "run", "sent");
    }

    /// <summary>S1 drain msg/s over S3 msg/s of the same repetition.</summary>
    public static Summary DrainRatio(IReadOnlyList<Measurement> results) => Summary.Of(
        from s1 in Ours(Of(results, "S1"))
        join s3 in Of(results, "S3") on s1.Rep equals s3.Rep
        select s1.Values["msgPerSec"] / s3.Values["msgPerSec"]);

    /// <summary>The peer's drain over S3 of the same repetition.</summary>
    static Summary PeerDrainRatio(IReadOnlyList<Measurement> results) => Summary.Of(
        from s1 in Of(results, "S1").Where(m => m.Values.GetValueOrDefault("peer") > 0)
        join s3 in Of(results, "S3") on s1.Rep equals s3.Rep
        select s1.Values["msgPerSec"] / s3.Values["msgPerSec"]);

    static List<Measurement> Ours(List<Measurement> measurements) => [.. measurements.Where(m => m.Values.GetValueOrDefault("peer") == 0)];

    /// <summary>Outbox tx/s over plain tx/s of the same repetition and writer count.</summary>
    public static Summary WriteRatio(IReadOnlyList<Measurement> results, int writers, WriteKind kind = WriteKind.Outbox)
    {
        var w = Of(results, "W");
        return Summary.Of(
            from variant in Kind(w, writers, kind)
            join plain in Kind(w, writers, WriteKind.Plain) on variant.Rep equals plain.Rep
            select variant.Values["txPerSec"] / plain.Values["txPerSec"]);
    }

    static List<Measurement> Kind(List<Measurement> w, int writers, WriteKind kind) =>
        [.. w.Where(m => m.Values["writers"] == writers && (int)m.Values["kind"] == (int)kind)];

    static List<Measurement> Of(IReadOnlyList<Measurement> results, string scenario) => [.. results.Where(m => m.Scenario == scenario)];

    static string S(List<Measurement> measurements, string key, string format = "N0") =>
        Summary.Of(measurements.Select(m => m.Values.TryGetValue(key, out var v) ? v : double.NaN)).Format(format);

    /// <summary>"all 6,000 ×3" or the worst repetition's count.</summary>
    static string Arrived(List<Measurement> measurements)
    {
        if (measurements.All(m => m.Values["arrived"] >= m.Values["sent"]))
            return Inv($"all ({measurements[0].Values["sent"]:N0}) ×{measurements.Count}");
        var worst = measurements.MinBy(m => m.Values["arrived"] / m.Values["sent"])!;
        return Inv($"worst {worst.Values["arrived"]:N0} of {worst.Values["sent"]:N0}");
    }

    static string Met(bool met) => met ? "**met**" : "**missed**";

    static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Per message: delivered, messages per delivering pass, relay round trips, DB commands and CPU of the process, relay CPU.</summary>
sealed record S2Work(double Delivered, double PerPass, double RoundTrips, double Commands, double RelayCpu, double ProcessCpu);
