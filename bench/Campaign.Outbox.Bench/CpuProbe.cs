using System.Globalization;

namespace Campaign.Outbox.Bench;

/// <summary>
/// Where the 2 cores went during a timed phase, read from /proc: this process, the relay child, every <c>postgres</c>
/// process, RabbitMQ's <c>beam.smp</c>, and the whole machine (the rest is other work on the shared machine).
/// </summary>
sealed class CpuProbe
{
    const double TicksPerSecond = 100; // USER_HZ on Linux
    readonly Dictionary<int, (string Group, long Ticks)> _processes;
    readonly long _machineBusy;
    readonly long _machineTotal;
    readonly long _at;

    CpuProbe(Dictionary<int, (string, long)> processes, long busy, long total, long at)
    {
        _processes = processes;
        _machineBusy = busy;
        _machineTotal = total;
        _at = at;
    }

    public static CpuProbe Take(int? relayPid = null)
    {
        var processes = new Dictionary<int, (string, long)>();
        if (!OperatingSystem.IsLinux())
            return new CpuProbe(processes, 0, 0, System.Diagnostics.Stopwatch.GetTimestamp());

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            var group = pid == Environment.ProcessId ? "bench"
                : pid == relayPid ? "relay"
                : null;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                group ??= comm switch
                {
                    "postgres" => "postgres",
                    "beam.smp" or "erl_child_setup" or "inet_gethost" => "rabbitmq",
                    _ => null,
                };
                if (group is null)
                    continue;
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                processes[pid] = (group, ticks);
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }

        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal
        var busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu.Length > 7 ? cpu[7] : 0);
        var total = busy + cpu[3] + cpu[4];
        return new CpuProbe(processes, busy, total, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>Cores used by each group between <paramref name="start"/> and this probe (1.0 = one core busy), plus machine and other.</summary>
    public Dictionary<string, double> Since(CpuProbe start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start._at, _at).TotalSeconds;
        var result = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["bench"] = 0, ["relay"] = 0, ["postgres"] = 0, ["rabbitmq"] = 0,
        };
        if (seconds <= 0 || _machineTotal == 0)
            return result;

        foreach (var (pid, (group, ticks)) in _processes)
        {
            var before = start._processes.TryGetValue(pid, out var s) ? s.Ticks : 0; // started meanwhile: all of it
            result[group] += (ticks - before) / TicksPerSecond / seconds;
        }

        var cores = Environment.ProcessorCount;
        var machine = (double)(_machineBusy - start._machineBusy) / Math.Max(1, _machineTotal - start._machineTotal) * cores;
        var ours = result.Values.Sum();
        result["machine"] = machine;
        result["other"] = Math.Max(0, machine - ours);
        result["seconds"] = seconds;
        return result;
    }
}
