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
/// Category <c>Cluster</c>, not yet in ./test.sh's phases: its first runs here left one message in a saga queue once (see
/// docs/reliability.md). Run it with <c>dotnet test tests/Campaign.ResilienceTests --filter Category=Cluster</c>.
/// </remarks>
[Trait("Category", "Cluster")]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    static readonly TimeSpan Steady = TimeSpan.FromSeconds(15);
    static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(20);
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly StringBuilder _log = new();

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
        await File.WriteAllTextAsync(Path.Combine(folder, "cluster-summary.txt"),
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores\n{_log}");

        var failures = single.Report.Failures.Select(f => $"{single.Name}: {f}").Concat(clustered.Report.Failures.Select(f => $"{clustered.Name}: {f}")).ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    async Task<Run> RunAsync(string name, bool onCluster, Func<CampaignSystem, Traffic, Task>? faults)
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
                foreach (var service in ServiceList.WithDatabase)
                    await system.AddInstanceAsync(service);
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
            var flowing = traffic.RunAsync(4, stop.Token);
            try
            {
                await (faults?.Invoke(system, traffic) ?? Task.Delay(Steady));
            }
            finally
            {
                await stop.CancelAsync();
                await flowing;
            }
            var trafficTime = watch.Elapsed;
            Note($"traffic stopped: {traffic.Describe()}");

            var settled = await Settling.WaitAsync(traffic, management, Settling.ServiceQueues, started, TimeSpan.FromSeconds(300), Note);
            var report = await Report.BuildAsync(traffic, started, errorQueuesBefore, await FaultRun.ErrorQueueDepthsAsync(management), management,
                Settling.ServiceQueues);
            Note(report.Summary(_clock.Elapsed));
            return new Run(name, report, traffic.EventsCommitted, trafficTime, settled);
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    async Task ClusterFaultsAsync(CampaignSystem system, Traffic traffic)
    {
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(4));
        foreach (var node in new[] { 1, 2 })
        {
            await StepAsync($"broker node {node} SIGKILLed, started again", async () =>
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

        await StepAsync("one instance of each service SIGKILLed right after a burst, started again", async () =>
        {
            await Task.WhenAll(traffic.BurstAsync(20), traffic.SignUpBurstAsync(10));
            var second = system.AllInstances.Skip(system.Services.Count).ToList();
            foreach (var instance in second)
                instance.Kill();
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(3)); // the other instances carry on alone
            await Task.WhenAll(second.Select(i => i.StartAsync()));
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(3));

        await StepAsync("PostgreSQL restarted", async () =>
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
            _log.AppendLine(line);
    }
}
