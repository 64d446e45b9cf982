using System.Diagnostics;
using System.Globalization;
using System.Text;
using Campaign.ResilienceTests.Support;
using Campaign.SystemTesting;
using Campaign.Testing;
using Xunit.Abstractions;

namespace Campaign.ResilienceTests.Faults;

/// <summary>
/// Beyond one machine's worth: two instances of each service on a local three-node RabbitMQ cluster (quorum queues) under
/// steady traffic, while a broker node is killed (SIGKILL) and brought back, then another, one instance of each service
/// is killed, and PostgreSQL restarts. Every effect is counted as in <see cref="NothingLostNothingTwiceTests"/>: nothing
/// lost, nothing twice. The same traffic first runs on one instance of each service on the single node, without faults,
/// for the comparison of throughput and settle time (docs/reliability.md).
/// </summary>
/// <remarks>
/// In the Faults phase of ./test.sh; alone with <c>dotnet test tests/Campaign.ResilienceTests --filter Category=Cluster</c>.
/// <c>CAMPAIGN_SOAK_EVENTS=N</c> turns it into a soak: the cluster's fault cycle repeats until N events are committed.
/// </remarks>
[Trait("Category", "Faults")]
[Trait("Category", "Cluster")]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    static readonly TimeSpan Steady = TimeSpan.FromSeconds(15);
    /// <summary>Nobody completes a call: every saga goes overdue and writes a letter, which the settle waits for.</summary>
    static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(10);
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly StringBuilder _log = new();

    static readonly long SoakEvents = FaultRun.SoakEvents;

    sealed record Run(string Name, Report Report, long Events, TimeSpan TrafficTime, TimeSpan? Settled)
    {
        public double EventsPerSecond => Events / TrafficTime.TotalSeconds;
    }

    [Fact]
    public async Task Two_instances_of_each_service_on_a_three_node_broker_cluster_lose_nothing_and_do_nothing_twice_through_failures()
    {
        await Infra.RunAsync("up");
        var single = await RunAsync("1 instance of each service, 1 broker node, no faults", onCluster: false, faults: null);

        Run clustered;
        await FaultRun.InfraAsync(Note, "cluster", "up");
        try
        {
            // The cluster's start rewrites infra.env: the services' own addresses in it still name the main node.
            Assert.Contains($"@127.0.0.1:{TestInfrastructure.Get("CAMPAIGN_RABBITMQ_TLS_PORT")}/", TestInfrastructure.ReadInfraFile()["CAMPAIGN_FINANCE_RABBITMQ"], StringComparison.Ordinal);
            clustered = await RunAsync("2 instances of each service, 3 broker nodes, faults", onCluster: true, faults: ClusterFaultsAsync);
        }
        finally
        {
            await FaultRun.InfraAsync(Note, "cluster", "down");
        }

        foreach (var run in new[] { single, clustered })
        {
            Note($"{run.Name}: {run.Events} events committed in {run.TrafficTime.TotalSeconds:0.0} s ({run.EventsPerSecond:0.0}/s), "
                 + (run.Settled is { } settled ? $"settled {settled.TotalSeconds:0.0} s after the traffic stopped" : "did not settle"));
        }
        Note($"throughput, cluster with faults against one node without: {clustered.EventsPerSecond / single.EventsPerSecond:0.00}");
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, ".local", "logs");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, SoakEvents > 0 ? "cluster-soak-summary.txt" : "cluster-summary.txt"),
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores\n{_log}");

        var failures = single.Report.Failures.Select(f => $"{single.Name}: {f}").Concat(clustered.Report.Failures.Select(f => $"{clustered.Name}: {f}")).ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    async Task<Run> RunAsync(string name, bool onCluster, Func<CampaignSystem, Traffic, int, Task>? faults)
    {
        Note($"--- {name}");
        var started = DateTime.UtcNow;
        using var management = onCluster
            ? new RabbitMqManagement(new Uri(TestInfrastructure.Get("CAMPAIGN_RABBITMQ_CLUSTER_MANAGEMENT_URL")))
            : new RabbitMqManagement();
        var system = await CampaignSystem.StartAsync(
            settings: new Dictionary<string, string> { ["ThankYouCalls:CallDeadline"] = CallDeadline.ToString("c", CultureInfo.InvariantCulture) },
            perService: onCluster ? CampaignSystem.OnTheBrokerCluster() : null);
        try
        {
            if (onCluster)
            {
                await Task.WhenAll(ServiceList.WithDatabase.Select(system.AddInstanceAsync));
            }
            foreach (var instance in system.AllInstances)
                instance.RestartWhenItExits = true; // as a supervisor would, when a consumer watchdog stops its service
            var errorQueuesBefore = await FaultRun.ErrorQueueDepthsAsync(management);
            using var finance = FaultRun.Client(system.Finance);
            using var volunteers = FaultRun.Client(system.Volunteers);
            using var communications = FaultRun.Client(system.Communications);
            var traffic = new Traffic(system.RunId[^6..], finance, volunteers, communications);

            using var stop = new CancellationTokenSource();
            var watch = Stopwatch.StartNew();
            var flowing = traffic.RunAsync(SoakEvents > 0 ? 8 : 4, stop.Token);
            Exception? faultFailure = null;
            try
            {
                if (faults is null)
                    await FaultRun.PaceAsync(Steady);
                else
                    faultFailure = await FaultRun.CyclesAsync(cycle => faults(system, traffic, cycle), traffic, system, Note);
            }
            finally
            {
                await stop.CancelAsync();
                await flowing;
            }
            var trafficTime = watch.Elapsed;
            Note($"traffic stopped: {traffic.Describe()}");

            var settled = await Settling.WaitAsync(traffic, management, Settling.ServiceQueues, started,
                TimeSpan.FromSeconds(SoakEvents > 0 ? 1200 : 300), Note);
            var report = await Report.BuildAsync(traffic, started, errorQueuesBefore, await FaultRun.ErrorQueueDepthsAsync(management), management,
                Settling.ServiceQueues);
            if (faultFailure is not null)
                report.Failures.Add($"fault injection failed: {faultFailure.Message.Split('\n')[0]}");
            Note(report.Summary(_clock.Elapsed));
            return new Run(name, report, traffic.EventsCommitted, trafficTime, settled);
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    /// <summary>
    /// One fault cycle. A soak's cycles take turns: nodes 1 and 2, then 3 and 1, then 2 and 3; the second instances of the
    /// services, then the first.
    /// </summary>
    async Task ClusterFaultsAsync(CampaignSystem system, Traffic traffic, int cycle)
    {
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(4));
        var nodes = TestInfrastructure.Get("CAMPAIGN_RABBITMQ_CLUSTER_NODES").Split(',').Length;
        foreach (var node in new[] { 2 * (cycle - 1) % nodes + 1, (2 * (cycle - 1) + 1) % nodes + 1 })
        {
            await StepAsync($"[{cycle}] broker node {node} SIGKILLed, started again", async () =>
            {
                await FaultRun.InfraAsync(Note, "cluster", "kill", node.ToString(CultureInfo.InvariantCulture));
                await FaultRun.PaceAsync(TimeSpan.FromSeconds(4)); // the queues' leaders move to the other nodes meanwhile
                var restart = Stopwatch.StartNew();
                await FaultRun.InfraAsync(Note, "cluster", "start", node.ToString(CultureInfo.InvariantCulture));
                Note($"    node {node} back in {restart.Elapsed.TotalSeconds:0.0} s");
                await FaultRun.AllReadyAsync(system);
            });
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(3));
        }

        await StepAsync($"[{cycle}] one instance of each service SIGKILLed right after a burst, started again", async () =>
        {
            await Task.WhenAll(traffic.BurstAsync(20), traffic.SignUpBurstAsync(10));
            var killed = cycle % 2 == 1 ? system.AllInstances.Skip(system.Services.Count).ToList() : [.. system.Services];
            foreach (var instance in killed)
                instance.Kill();
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(3)); // the other instances carry on alone
            // Generous: three processes starting at once share the machine's cores with the traffic (up to 117 s in the soak).
            await Task.WhenAll(killed.Select(i => i.StartAsync(TimeSpan.FromSeconds(300))));
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(3));

        await StepAsync($"[{cycle}] PostgreSQL restarted", async () =>
        {
            await FaultRun.InfraAsync(Note, "postgres", "restart");
            await FaultRun.AllReadyAsync(system);
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(3));
    }

    async Task StepAsync(string name, Func<Task> fault)
    {
        var at = _clock.Elapsed;
        await fault();
        Note($"{at.TotalSeconds,6:0.0} s  {name} ({(_clock.Elapsed - at).TotalSeconds:0.0} s)");
    }

    void Note(string line)
    {
        output.WriteLine(line);
        lock (_log)
        {
            _log.AppendLine(line);
            FaultRun.SoakProgress("cluster-soak-progress.txt", line);
        }
    }
}
