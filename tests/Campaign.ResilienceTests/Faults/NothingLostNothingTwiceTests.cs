using System.Diagnostics;
using System.Text;
using Campaign.ResilienceTests.Support;
using Campaign.SystemTesting;
using Campaign.Testing;
using Xunit.Abstractions;

namespace Campaign.ResilienceTests.Faults;

/// <summary>
/// The platform's promise, tested against the running system: an event committed with its state change reaches every
/// subscriber, and has its effect once, whatever fails meanwhile. The three services run as processes on the private
/// PostgreSQL and RabbitMQ; traffic flows through their HTTP APIs while the broker is stopped and crashed, the services'
/// connections are cut, each service is killed with SIGKILL (CampaignFinance and VolunteerCoordinator right after a burst
/// of commits, i.e. between commit and the relay's delete; Communications while it consumes) and PostgreSQL restarts.
/// Then, from the databases, the broker and the Maildir: one thank-you call and one thank-you email per secured donor, one
/// welcome email per volunteer, nothing for a refused request, outboxes and queues drained, error queues as before, and no
/// name or address in any log line, span or exported log record.
/// </summary>
/// <remarks>
/// <c>CAMPAIGN_SOAK_EVENTS=100000</c> turns the same test into a soak: the fault cycle repeats until that many events are
/// committed (see docs/reliability.md). The counts go to the test output and <c>.local/logs/resilience-summary.txt</c>.
/// </remarks>
[Trait("Category", "Faults")]
public sealed class NothingLostNothingTwiceTests(ITestOutputHelper output)
{
    static readonly long SoakEvents = FaultRun.SoakEvents;

    static readonly IReadOnlyList<string> ServiceQueues = Settling.ServiceQueues;

    /// <summary>
    /// Nobody completes a thank-you call in this run: with this deadline every secured donor's saga goes overdue during the
    /// faults or soon after, and the run counts the letters too (the deadline waits in VolunteerCoordinator's outbox).
    /// </summary>
    static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(20);

    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly StringBuilder _log = new();

    [Fact]
    public async Task Every_committed_event_has_its_effect_once_in_every_subscriber_through_broker_database_and_process_failures()
    {
        var started = DateTime.UtcNow;
        await using var otlp = new OtlpSink();
        using var broker = new BrokerAdmin();
        using var management = new RabbitMqManagement();
        await Infra.RunAsync("up");

        // The queues of the naming before each service had its own (both subscribers shared "donor-secured"): nothing reads them.
        foreach (var legacy in new[] { "donor-secured", "volunteer-signed-up" })
            await broker.DeleteUnusedQueueAsync(legacy);

        var system = await CampaignSystem.StartAsync(settings: new Dictionary<string, string>(otlp.Settings)
        {
            ["ThankYouCalls:CallDeadline"] = CallDeadline.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });
        foreach (var service in system.Services)
            service.RestartWhenItExits = true; // as compose's restart policy does, when a service's consumer watchdog stops it
        var errorQueuesBefore = await FaultRun.ErrorQueueDepthsAsync(management);
        var token = system.RunId[^6..];
        using var finance = FaultRun.Client(system.Finance);
        using var volunteers = FaultRun.Client(system.Volunteers);
        using var communications = FaultRun.Client(system.Communications);
        var traffic = new Traffic(token, finance, volunteers, communications);
        otlp.Watch([traffic.Domain, traffic.NameMarker]);
        Note($"run {system.RunId}: services up; logs in {system.LogFolder}; traffic domain {traffic.Domain}"
             + (SoakEvents > 0 ? $"; soak until {SoakEvents} events" : ""));

        using var stop = new CancellationTokenSource();
        var flowing = traffic.RunAsync(SoakEvents > 0 ? 8 : 4, stop.Token);
        Report report;
        Exception? faultFailure;
        try
        {
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(4));
            faultFailure = await FaultRun.CyclesAsync(cycle => FaultCycleAsync(system, traffic, broker, management, cycle), traffic, system, Note);
        }
        finally
        {
            await stop.CancelAsync();
            await flowing;
        }
        Note($"traffic stopped: {traffic.Describe()}");

        try
        {
            var settleLimit = TimeSpan.FromSeconds(SoakEvents > 0 ? 1200 : 300);
            await Settling.WaitAsync(traffic, management, ServiceQueues, started, settleLimit, Note);
            report = await Report.BuildAsync(traffic, started, errorQueuesBefore, await FaultRun.ErrorQueueDepthsAsync(management), management, ServiceQueues);
        }
        finally
        {
            // A graceful stop flushes the services' logs and telemetry before they are scanned.
            await system.DisposeAsync();
        }

        Note("restarted after stopping themselves (consumer watchdog): "
             + string.Join(", ", system.Services.Select(s => $"{s.Service} {s.RestartsAfterExit}")));
        report.ScanForPersonalData(system.LogFolder, otlp, [traffic.Domain, traffic.NameMarker]);
        if (faultFailure is not null)
            report.Failures.Add($"fault injection failed: {faultFailure.Message.Split('\n')[0]}");
        Note(report.Summary(_clock.Elapsed));
        await WriteSummaryAsync(system.RunId);

        Assert.True(report.Failures.Count == 0, string.Join('\n', report.Failures));
    }

    async Task FaultCycleAsync(CampaignSystem system, Traffic traffic, BrokerAdmin broker, RabbitMqManagement management, int cycle)
    {
        await StepAsync($"[{cycle}] RabbitMQ stopped (graceful) and started again", async () =>
        {
            await FaultRun.InfraAsync(Note, "rabbitmq", "stop");
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(3)); // commits pile up in the outboxes meanwhile
            await FaultRun.InfraAsync(Note, "rabbitmq", "start");
            await FaultRun.AllReadyAsync(system);
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] CampaignFinance SIGKILLed right after a burst of commits (between commit and the relay's delete)", async () =>
        {
            await traffic.BurstAsync(25);
            system.Finance.Kill();
            await system.Finance.StartAsync();
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] every AMQP connection cut while messages are in flight", async () =>
        {
            var burst = Task.WhenAll(traffic.BurstAsync(20), traffic.SignUpBurstAsync(10));
            await Task.Delay(150);
            var closed = await broker.CloseConnectionsAsync("resilience test: connection cut");
            await burst;
            Note($"    {closed} connections closed");
            await FaultRun.AllReadyAsync(system);
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] Communications SIGKILLed while consuming", async () =>
        {
            var before = await QueuedMailAsync(traffic.Domain);
            var burst = Task.WhenAll(traffic.BurstAsync(20), traffic.SignUpBurstAsync(20));
            await Eventually.Until(async () => await QueuedMailAsync(traffic.Domain) > before + 3, "Communications consuming the burst",
                TimeSpan.FromSeconds(60));
            system.Communications.Kill();
            await burst;
            await system.Communications.StartAsync();
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] VolunteerCoordinator SIGKILLed right after a burst of sign-ups, while consuming", async () =>
        {
            await Task.WhenAll(traffic.SignUpBurstAsync(25), traffic.BurstAsync(10));
            system.Volunteers.Kill();
            await system.Volunteers.StartAsync();
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] RabbitMQ crashed (SIGKILL) and started again", async () =>
        {
            await FaultRun.InfraAsync(Note, "rabbitmq", "kill");
            await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));
            await FaultRun.InfraAsync(Note, "rabbitmq", "start");
            await FaultRun.AllReadyAsync(system);
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));

        await StepAsync($"[{cycle}] PostgreSQL restarted", async () =>
        {
            await FaultRun.InfraAsync(Note, "postgres", "restart");
            await FaultRun.AllReadyAsync(system);
        });
        await FaultRun.PaceAsync(TimeSpan.FromSeconds(2));
    }

    static async Task<long> QueuedMailAsync(string domain) =>
        await SystemDatabases.ScalarAsync<long>(Service.Communications,
            """SELECT count(*) FROM "OutboundMessages" WHERE "NormalizedRecipient" LIKE $1""", "%@" + domain.ToUpperInvariant());

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
            FaultRun.SoakProgress("resilience-soak-progress.txt", line);
        }
    }

    async Task WriteSummaryAsync(string runId)
    {
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, ".local", "logs");
        Directory.CreateDirectory(folder);
        var name = SoakEvents > 0 ? "resilience-soak-summary.txt" : "resilience-summary.txt";
        await File.WriteAllTextAsync(Path.Combine(folder, name),
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, run {runId}, {Environment.ProcessorCount} cores\n{_log}");
    }
}
