using System.Globalization;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.Http.Bench;

/// <summary>
/// CPU time so far of every process a contribution touches: the services, PostgreSQL, RabbitMQ, the SMTP server and this
/// load client. A server counts with its whole process tree (PostgreSQL's backends, RabbitMQ's helpers), children that
/// already exited included (their time is in the parent's cutime/cstime).
/// </summary>
static class ProcessCpu
{
    public const string PostgreSql = "PostgreSQL", RabbitMq = "RabbitMQ", Smtp = "SMTP server", Client = "load client";

    public static Dictionary<string, double> Snapshot(IEnumerable<ServiceProcess> services)
    {
        var processes = ReadAll();
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (service.ProcessId is { } pid && processes.TryGetValue(pid, out var process))
                cpu[service.Service.ToString()] = process.OwnSeconds;
        }

        // The private servers of deploy/local/infra (this checkout's .local), found by their command lines.
        var local = Path.Combine(TestInfrastructure.RepositoryRoot, ".local");
        cpu[PostgreSql] = Tree(processes, p => p.CommandLine.Contains("/bin/postgres", StringComparison.Ordinal)
            && p.CommandLine.Contains($"{File.ReadAllText(Path.Combine(local, "postgres.location")).Trim()}/data", StringComparison.Ordinal));
        cpu[RabbitMq] = Tree(processes, p => p.CommandLine.Contains("beam.smp", StringComparison.Ordinal)
            && p.CommandLine.Contains(Path.Combine(local, "rabbitmq"), StringComparison.Ordinal));
        cpu[Smtp] = Tree(processes, p => p.CommandLine.Contains("aiosmtpd", StringComparison.Ordinal));
        cpu[Client] = processes[Environment.ProcessId].OwnSeconds;
        return cpu;
    }

    /// <summary>The CPU ms each process spent between two snapshots, per contribution.</summary>
    public static Dictionary<string, double> PerContribution(Dictionary<string, double> before, Dictionary<string, double> after, int contributions) =>
        after.Where(a => before.ContainsKey(a.Key))
            .ToDictionary(a => a.Key, a => (a.Value - before[a.Key]) * 1000 / Math.Max(1, contributions), StringComparer.Ordinal);

    /// <summary>User + system CPU seconds of one process so far.</summary>
    public static double Seconds(int pid) => Read(pid)?.OwnSeconds ?? double.NaN;

    static double Tree(Dictionary<int, ProcessStat> processes, Func<ProcessStat, bool> isRoot)
    {
        // The root is the matching process whose parent does not match (the postmaster, not its backends).
        var matching = processes.Values.Where(isRoot).ToList();
        var root = matching.FirstOrDefault(p => !matching.Any(m => m.Pid == p.ParentPid));
        if (root is null)
            return double.NaN;
        var total = 0.0;
        var pending = new Stack<int>([root.Pid]);
        while (pending.TryPop(out var pid))
        {
            total += processes[pid].OwnSeconds + processes[pid].ChildrenSeconds;
            foreach (var child in processes.Values.Where(p => p.ParentPid == pid))
                pending.Push(child.Pid);
        }
        return total;
    }

    static Dictionary<int, ProcessStat> ReadAll()
    {
        var processes = new Dictionary<int, ProcessStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } process)
                processes[pid] = process;
        }
        return processes;
    }

    static ProcessStat? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double Ticks(int field) => long.Parse(fields[field], CultureInfo.InvariantCulture) / 100.0; // clock ticks of 10 ms
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return new ProcessStat(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), commandLine, Ticks(11) + Ticks(12), Ticks(13) + Ticks(14));
        }
        catch (IOException)
        {
            return null; // the process ended while we read it
        }
    }

    sealed record ProcessStat(int Pid, int ParentPid, string CommandLine, double OwnSeconds, double ChildrenSeconds);
}
