using System.Globalization;
using Campaign.Testing;

namespace Campaign.SystemTesting;

/// <summary>
/// The three services as processes on the private servers, plus what a test looks at: the broker and the Maildir
/// (their databases: <see cref="SystemDatabases"/>). Logs: <c>.local/logs/system-tests/&lt;run id&gt;/&lt;Service&gt;.log</c>.
/// <code>
/// await using var system = await CampaignSystem.StartAsync();
/// var response = await system.Finance.Client.PostAsJsonAsync("/donors", ...);
/// </code>
/// </summary>
public sealed class CampaignSystem : IAsyncDisposable
{
    CampaignSystem(string runId, IReadOnlyDictionary<string, string>? settings, IReadOnlyDictionary<Service, IReadOnlyDictionary<string, string>>? perService)
    {
        RunId = runId;
        LogFolder = Path.Combine(LogRoot, runId);
        Finance = Create(Service.CampaignFinance);
        Volunteers = Create(Service.VolunteerCoordinator);
        Communications = Create(Service.Communications);

        ServiceProcess Create(Service service)
        {
            var merged = new Dictionary<string, string>(settings ?? new Dictionary<string, string>());
            if (perService is not null && perService.TryGetValue(service, out var own))
            {
                foreach (var (key, value) in own)
                    merged[key] = value;
            }
            return new ServiceProcess(service, LogFolder, merged);
        }
    }

    /// <summary>Where every run's logs go: <c>.local/logs/system-tests</c>.</summary>
    public static string LogRoot => Path.Combine(TestInfrastructure.RepositoryRoot, ".local", "logs", "system-tests");

    /// <summary>Unique per system: a time stamp and a random suffix. Handy in test data (email domains) too.</summary>
    public string RunId { get; }

    public string LogFolder { get; }

    public ServiceProcess Finance { get; }

    public ServiceProcess Volunteers { get; }

    public ServiceProcess Communications { get; }

    public IReadOnlyList<ServiceProcess> Services => [Finance, Volunteers, Communications];

    public ServiceProcess this[Service service] => service switch
    {
        Service.CampaignFinance => Finance,
        Service.VolunteerCoordinator => Volunteers,
        _ => Communications,
    };

    public RabbitMqManagement RabbitMq { get; } = new();

    public Maildir Mail { get; } = new();

    /// <summary>Starts the three services at once and waits until each one is ready.</summary>
    /// <param name="settings">Extra environment variables for every service (they win over the defaults).</param>
    /// <param name="perService">Extra environment variables for one service.</param>
    /// <param name="readyTimeout">How long each service may take to become ready (default 120 s).</param>
    public static async Task<CampaignSystem> StartAsync(IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyDictionary<Service, IReadOnlyDictionary<string, string>>? perService = null, TimeSpan? readyTimeout = null)
    {
        var system = Create(settings, perService);
        try
        {
            foreach (var service in system.Services)
                service.Start();
            await Task.WhenAll(system.Services.Select(s => s.WaitUntilReadyAsync(readyTimeout)));
            Eventually.Describe = system.DescribeAsync;
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The three services as a newcomer's first run meets them: each on a new, empty database (migrations create everything),
    /// all on a new RabbitMQ virtual host, so no other test's queues or data are there. Both are deleted on dispose.
    /// </summary>
    public static async Task<CampaignSystem> StartOnEmptyServersAsync(TimeSpan? readyTimeout = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var owned = new List<Func<Task>>();
        try
        {
            var vhost = $"empty-{Guid.NewGuid():N}";
            using (var management = new RabbitMqManagement())
                await management.CreateVirtualHostAsync(vhost);
            owned.Add(async () =>
            {
                using var management = new RabbitMqManagement();
                await management.DeleteVirtualHostAsync(vhost);
            });

            var perService = new Dictionary<Service, IReadOnlyDictionary<string, string>>();
            foreach (var service in ServiceList.WithDatabase)
            {
                var database = await TestDatabase.CreateAsync($"empty_{service}");
                owned.Add(() => database.DisposeAsync().AsTask());
                perService[service] = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
                {
                    [$"ConnectionStrings__{service}"] = database.ConnectionString,
                    ["ConnectionStrings__RabbitMq"] = new UriBuilder(TestInfrastructure.BrokerOf(service.ToString())) { Path = "/" + Uri.EscapeDataString(vhost) }.Uri.ToString(),
                };
            }

            var system = await StartAsync(null, perService, readyTimeout);
            system._owned.AddRange(owned);
            system._virtualHost = vhost;
            return system;
        }
        catch
        {
            foreach (var dispose in owned)
                await dispose();
            throw;
        }
    }

    readonly List<Func<Task>> _owned = [];
    string? _virtualHost; // a system of its own on the broker (StartOnEmptyServersAsync), else the campaign's

    /// <summary>The three services, not started: change their <see cref="ServiceProcess.Settings"/> first, then start them.</summary>
    public static CampaignSystem Create(IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyDictionary<Service, IReadOnlyDictionary<string, string>>? perService = null) =>
        new($"{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}", settings, perService);

    readonly List<ServiceProcess> _moreInstances = [];

    /// <summary>Every instance of the three services: the first of each, and those <see cref="AddInstanceAsync"/> started.</summary>
    public IReadOnlyList<ServiceProcess> AllInstances => [.. Services, .. _moreInstances];

    /// <summary>
    /// Starts one more instance of <paramref name="service"/>, with the first one's settings on a port of its own, and waits
    /// until it is ready: the instances compete on the service's queues and on its outbox.
    /// </summary>
    public async Task<ServiceProcess> AddInstanceAsync(Service service)
    {
        var first = this[service];
        var instance = new ServiceProcess(service, LogFolder,
            first.Settings.Where(s => s.Key != "ASPNETCORE_URLS").ToDictionary(s => s.Key, s => s.Value),
            AllInstances.Count(i => i.Service == service) + 1);
        _moreInstances.Add(instance);
        instance.Start();
        await instance.WaitUntilReadyAsync();
        return instance;
    }

    /// <summary>
    /// Each service's settings for the local RabbitMQ cluster (deploy/local/infra cluster up): its own broker user at the
    /// cluster's first node, and every node in <c>Messaging__BrokerNodes</c>.
    /// </summary>
    public static IReadOnlyDictionary<Service, IReadOnlyDictionary<string, string>> OnTheBrokerCluster()
    {
        var nodes = TestInfrastructure.Get("CAMPAIGN_RABBITMQ_CLUSTER_NODES");
        var first = nodes.Split(',')[0];
        return ServiceList.WithDatabase.ToDictionary(s => s, IReadOnlyDictionary<string, string> (s) => new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = new UriBuilder(TestInfrastructure.BrokerOf(s.ToString())) { Port = int.Parse(first.Split(':')[1], CultureInfo.InvariantCulture) }.Uri.ToString(),
            ["Messaging__BrokerNodes"] = nodes,
        });
    }

    /// <summary>The operators' page (services/Operations) over this system's services, once <see cref="StartOperationsPageAsync"/> ran.</summary>
    public ServiceProcess? OperationsPage { get; private set; }

    /// <summary>Starts the operators' page, pointed at the three running services, and waits until it is ready.</summary>
    public async Task<ServiceProcess> StartOperationsPageAsync()
    {
        var settings = Services.ToDictionary(s => $"Operations__Services__{s.Service}", s => s.BaseAddress.ToString());
        if (_virtualHost is not null)
        {
            settings["Operations__RabbitMq__VirtualHost"] = _virtualHost;
            settings["ConnectionStrings__RabbitMq"] = new UriBuilder(TestInfrastructure.Get("CAMPAIGN_OPERATIONS_RABBITMQ"))
                { Path = "/" + Uri.EscapeDataString(_virtualHost) }.Uri.ToString();
        }
        var page = new ServiceProcess(Service.Operations, LogFolder, settings);
        OperationsPage = page;
        page.Start();
        await page.WaitUntilReadyAsync();
        return page;
    }

    /// <summary>Stops every service gracefully (SIGKILL after a while).</summary>
    public async Task StopAsync() => await Task.WhenAll(Services.Select(s => s.StopAsync()));

    /// <summary>
    /// The services' queues (ready, unacknowledged, consumers) and processes, and each one's last warning or error line:
    /// what a timed-out wait shows.
    /// </summary>
    public async Task<string> DescribeAsync()
    {
        string[] prefixes = ["campaign-finance-", "volunteer-coordinator-", "communications-"];
        var queues = (await RabbitMq.QueuesAsync())
            .Where(q => !q.IsErrorQueue && prefixes.Any(p => q.Name.StartsWith(p, StringComparison.Ordinal)))
            .Select(q => $"{q.Name} {q.Ready} ready/{q.Unacknowledged} unacked/{q.Consumers} consumers");
        var processes = AllInstances.Select(s =>
        {
            var state = s.ProcessId is { } pid ? $"pid {pid}" : $"exited ({s.ExitCode})";
            var problem = s.Tail().Split('\n').LastOrDefault(l => l.Contains(" warn: ", StringComparison.Ordinal)
                || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
            return $"{s.Service} {state}" + (problem is null ? "" : $", last problem: {problem[..Math.Min(problem.Length, 300)]}");
        });
        return $"queues at {DateTime.UtcNow:HH:mm:ss} UTC: {string.Join("; ", queues)}\n{string.Join("\n", processes)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (Eventually.Describe == DescribeAsync)
            Eventually.Describe = null;
        await Task.WhenAll(AllInstances.Select(s => s.DisposeAsync().AsTask()));
        if (OperationsPage is not null)
            await OperationsPage.DisposeAsync();
        RabbitMq.Dispose();
        foreach (var dispose in _owned)
            await dispose();
    }
}
