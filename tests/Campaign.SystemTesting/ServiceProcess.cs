using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Campaign.Testing;

namespace Campaign.SystemTesting;

/// <summary>
/// One service running as a real process: <c>dotnet services/&lt;Name&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Name&gt;.dll</c>,
/// the build of the same configuration as this assembly, on a free port of 127.0.0.1, with the private servers' settings.
/// Its stdout and stderr go to <see cref="LogFile"/> (appended across restarts). The port stays the same across restarts,
/// so <see cref="Client"/> keeps working.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    static readonly string Configuration =
        typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    // Settings that must come from us, not from whatever environment the test runner inherited.
    static readonly string[] OwnedPrefixes =
        ["ConnectionStrings__", "ASPNETCORE_", "DOTNET_URLS", "DOTNET_ENVIRONMENT", "Database__", "Smtp__", "Mail__", "Outbox__", "Operations__", "OTEL_", "Logging__", "Auth__", "Tls__",
         // The runner's environment holds every service's logins and the operators' client secret: none is the service's.
         "CAMPAIGN_"];

    readonly Lock _logLock = new();
    readonly Lock _processLock = new();
    readonly Queue<string> _tail = new();
    Process? _process;
    Process? _stoppedHere; // the process Kill or StopAsync ended: its exit is not restarted
    int _restartsAfterExit;
    StreamWriter? _log;

    // instance: which instance of the service this is; from the second on, its log file is <Service>-<instance>.log.
    public ServiceProcess(Service service, string logFolder, IReadOnlyDictionary<string, string>? settings = null, int instance = 1)
    {
        ArgumentNullException.ThrowIfNull(logFolder);
        Service = service;
        Port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        Directory.CreateDirectory(logFolder);
        LogFile = Path.Combine(logFolder, instance == 1 ? $"{service}.log" : $"{service}-{instance}.log");
        Dll = Path.Combine(TestInfrastructure.RepositoryRoot, "services", service.ToString(), "bin", Configuration, "net10.0", $"{service}.dll");
        Settings = DefaultSettings(service, Port);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            Settings[key] = value;
        Client = new HttpClient(new TestTokens.Handler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) }))
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public Service Service { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>An HTTP client for this service (base address set).</summary>
    public HttpClient Client { get; }

    /// <summary>The process's output, every start appended after a "=== started" line.</summary>
    public string LogFile { get; }

    /// <summary>The environment variables the service starts with. Change them before <see cref="Start"/> or a restart.</summary>
    public Dictionary<string, string> Settings { get; }

    /// <summary>The built dll this process runs: the service's own, unless changed before a start (bench/http.sh's baseline host).</summary>
    public string Dll { get; set; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// When set, a process that exits without being stopped or killed here is started again at once, as its supervisor
    /// would (compose's restart policy, Kubernetes): a service stops itself when its consumer watchdog gives up on a queue.
    /// </summary>
    public bool RestartWhenItExits { get; set; }

    /// <summary>How many times the process exited by itself and was started again (<see cref="RestartWhenItExits"/>).</summary>
    public int RestartsAfterExit => Volatile.Read(ref _restartsAfterExit);

    /// <summary>The exit code of the last process, once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>The settings every start gets: the private servers (from .local/infra.env), migrations on, short mail intervals.</summary>
    public static Dictionary<string, string> DefaultSettings(Service service, int port)
    {
        var name = service.ToString();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__Authority"] = TestTokens.IssuerUrl.ToString(),
            ["Auth__RequireHttpsMetadata"] = "false",
            ["Tls__TrustedCaFile"] = TestInfrastructure.Get("Tls__TrustedCaFile"),
            // One line per entry, with the scopes (TraceId, SpanId, MessageId...): easy to grep when a test fails.
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        if (service == Service.Operations)
        {
            // The services' addresses are the running system's: CampaignSystem.StartOperationsPageAsync adds them.
            settings["Operations__ClientSecret"] = TestInfrastructure.Get("CAMPAIGN_OPERATIONS_PAGE_SECRET");
            settings["Operations__RabbitMq__ManagementUrl"] = TestInfrastructure.Get("CAMPAIGN_RABBITMQ_MANAGEMENT_URL");
            settings["Operations__RabbitMq__User"] = "operations";
            settings["Operations__RabbitMq__Password"] = TestInfrastructure.Get("CAMPAIGN_OPERATIONS_RABBITMQ_PASSWORD");
            settings["Operations__RabbitMq__VirtualHost"] = TestInfrastructure.Get("CAMPAIGN_RABBITMQ_VHOST");
            settings["ConnectionStrings__RabbitMq"] = TestInfrastructure.Get("CAMPAIGN_OPERATIONS_RABBITMQ");
            return settings;
        }
        settings[$"ConnectionStrings__{name}"] = TestInfrastructure.Get($"ConnectionStrings__{name}");
        settings["ConnectionStrings__RabbitMq"] = TestInfrastructure.BrokerOf(name);
        settings["Database__ApplyMigrations"] = "true";
        if (service == Service.Communications)
        {
            settings["Smtp__Host"] = TestInfrastructure.Get("CAMPAIGN_SMTP_HOST");
            settings["Smtp__Port"] = TestInfrastructure.Get("CAMPAIGN_SMTP_PORT");
            settings["Mail__PollInterval"] = "00:00:00.500";
            settings["Mail__RetryDelay"] = "00:00:00.500";
            settings["Mail__MaxRetryDelay"] = "00:00:05";
            settings["Mail__SendTimeout"] = "00:00:10";
        }
        return settings;
    }

    /// <summary>Starts the process and returns at once; see <see cref="WaitUntilReadyAsync"/>.</summary>
    public void Start()
    {
        lock (_processLock)
            StartProcess();
    }

    void StartProcess()
    {
        if (IsRunning)
            throw new InvalidOperationException($"{Service} is already running (pid {_process!.Id}).");
        if (!File.Exists(Dll))
            throw new InvalidOperationException($"{Dll} does not exist: build the solution in {Configuration} first.");

        var start = new ProcessStartInfo(DotnetHost(), [Dll])
        {
            WorkingDirectory = Path.GetDirectoryName(Dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => OwnedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
            start.Environment.Remove(key);
        foreach (var (key, value) in Settings)
            start.Environment[key] = value;

        _process?.Dispose();
        lock (_logLock)
        {
            _log ??= new StreamWriter(new FileStream(LogFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            _tail.Clear();
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += RestartAfterExit;
        process.Start();
        _process = process;
        WriteMarker($"=== started {Service} pid {process.Id} on port {Port} at {DateTime.UtcNow:HH:mm:ss.fff} UTC ===");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Polls GET /health/ready until it answers 200; fails at once (with the last log lines) if the process exits.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        var watch = Stopwatch.StartNew();
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        string last = "no answer";
        while (true)
        {
            if (!IsRunning && !RestartWhenItExits)
                throw new InvalidOperationException($"{Service} exited (code {ExitCode}) before it was ready. Last lines of {LogFile}:\n{Tail()}");
            try
            {
                using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "timed out";
            }
            if (watch.Elapsed > limit)
                throw new TimeoutException($"{Service} not ready after {limit.TotalSeconds:0} s (GET /health/ready: {last}). Last lines of {LogFile}:\n{Tail()}");
            await Task.Delay(200, cancellationToken);
        }
    }

    public async Task StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Start();
        await WaitUntilReadyAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// Waits for the process to exit on its own and for its last output to reach <see cref="LogFile"/>; false if it is
    /// still running after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_process is not { } process)
            return true;
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token); // returns once stdout and stderr are drained too
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL (the whole process tree): a crash, nothing runs on the way out. Returns once the process is gone.</summary>
    public void Kill()
    {
        Process process;
        lock (_processLock)
        {
            if (_process is not { HasExited: false } running)
                return;
            process = _stoppedHere = running;
        }
        WriteMarker($"=== killing {Service} pid {process.Id} (SIGKILL) at {DateTime.UtcNow:HH:mm:ss.fff} UTC ===");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>SIGTERM, a graceful shutdown; SIGKILL if it has not exited within <paramref name="timeout"/> (default 30 s).</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        Process process;
        lock (_processLock)
        {
            if (_process is not { HasExited: false } running)
                return;
            process = _stoppedHere = running;
        }
        WriteMarker($"=== stopping {Service} pid {process.Id} (SIGTERM) at {DateTime.UtcNow:HH:mm:ss.fff} UTC ===");
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            WriteMarker($"=== {Service} did not stop in time ===");
            Kill();
        }
        process.WaitForExit(); // output drained
    }

    /// <summary>Stops the process (gracefully, or with SIGKILL when <paramref name="kill"/>), starts it again and waits until it is ready.</summary>
    public async Task RestartAsync(bool kill = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (kill)
            Kill();
        else
            await StopAsync();
        await StartAsync(timeout, cancellationToken);
    }

    /// <summary>The last lines the process wrote.</summary>
    public string Tail()
    {
        lock (_logLock)
            return string.Join('\n', _tail);
    }

    /// <summary>Everything in <see cref="LogFile"/> so far (every start).</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        _process?.Dispose();
        Client.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    void RestartAfterExit(object? sender, EventArgs e)
    {
        lock (_processLock)
        {
            if (!RestartWhenItExits || sender is not Process exited || !ReferenceEquals(exited, _process) || ReferenceEquals(exited, _stoppedHere))
                return;
            WriteMarker($"=== {Service} pid {exited.Id} exited by itself (code {exited.ExitCode}) at {DateTime.UtcNow:HH:mm:ss.fff} UTC; starting it again ===");
            _restartsAfterExit++;
            StartProcess();
        }
    }

    void Write(string? line)
    {
        if (line is null)
            return;
        lock (_logLock)
        {
            _log?.WriteLine(line);
            _tail.Enqueue(line);
            while (_tail.Count > 60)
                _tail.Dequeue();
        }
    }

    void WriteMarker(string line)
    {
        lock (_logLock)
            _log?.WriteLine(line);
    }

    /// <summary>The dotnet host running this process (set by the dotnet CLI), else the one on PATH.</summary>
    static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    /// <summary>
    /// A port nobody listens on now (the kernel's choice, so never 5101-5103 of ./run.sh), outside 55000-55999 where the
    /// private servers listen: one of them stopped by a fault test must find its port free when it starts again.
    /// </summary>
    static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port is < 55000 or > 55999)
                return port;
        }
    }
}
