using System.Net;
using System.Net.Sockets;
using Campaign.ResilienceTests.Support;
using Campaign.SystemTesting;
using Campaign.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Campaign.ResilienceTests.Faults;

/// <summary>
/// The services as processes, started with missing or wrong settings: each stops at once with an error naming the setting
/// (never runs half-configured); and one started while its database is unreachable waits for it and becomes ready once it
/// answers. The unreachable database is a TCP proxy in front of the real one, closed until the test opens it, so the shared
/// server is never disturbed.
/// </summary>
[Trait("Category", "Faults")]
public sealed class StartupConfigurationTests(ITestOutputHelper output)
{
    // The values are built inside the test: a password must not show up in a test's name.
    public static TheoryData<string, string, string> WrongSettings()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var service in new[] { "CampaignFinance", "VolunteerCoordinator", "Communications" })
        {
            data.Add(service, $"ConnectionStrings__{service}", "missing");
            data.Add(service, $"ConnectionStrings__{service}", "malformed");
            data.Add(service, $"ConnectionStrings__{service}", "wrong password");
            data.Add(service, "ConnectionStrings__RabbitMq", "missing");
            data.Add(service, "Auth__Authority", "missing");
        }
        data.Add("CampaignFinance", "ConnectionStrings__RabbitMq", "malformed");
        data.Add("VolunteerCoordinator", "ConnectionStrings__RabbitMq", "wrong password");
        data.Add("Communications", "ConnectionStrings__RabbitMq", "unknown virtual host");
        data.Add("CampaignFinance", "ConnectionStrings__CampaignFinance", "placeholder password");
        data.Add("VolunteerCoordinator", "ConnectionStrings__RabbitMq", "placeholder password");
        return data;
    }

    static string Value(string variable, string wrong)
    {
        if (variable == "Auth__Authority")
            return "";
        if (variable == "ConnectionStrings__RabbitMq")
        {
            var broker = new Uri(TestInfrastructure.RabbitMq);
            return wrong switch
            {
                "missing" => "",
                "malformed" => "not a uri",
                "wrong password" => $"amqp://{broker.UserInfo.Split(':')[0]}:wrong-password@{broker.Host}:{broker.Port}{broker.AbsolutePath}",
                "placeholder password" => $"amqp://{broker.UserInfo.Split(':')[0]}:change-me-rabbitmq@{broker.Host}:{broker.Port}{broker.AbsolutePath}",
                _ => $"amqp://{broker.UserInfo}@{broker.Host}:{broker.Port}/no-such-vhost",
            };
        }
        var own = new NpgsqlConnectionStringBuilder(TestInfrastructure.Get(variable));
        return wrong switch
        {
            "missing" => "",
            "malformed" => "Host=127.0.0.1;Port=not-a-port",
            "placeholder password" => new NpgsqlConnectionStringBuilder(own.ConnectionString) { Password = "change-me-finance" }.ConnectionString,
            _ => new NpgsqlConnectionStringBuilder(own.ConnectionString) { Password = "wrong-password" }.ConnectionString,
        };
    }

    /// <summary>Every case at once (a process start is the slow part): each must stop, naming its setting.</summary>
    [Fact]
    public async Task A_missing_or_wrong_setting_stops_the_start_with_an_error_naming_it()
    {
        var cases = WrongSettings().Select(row => ((string)row[0], (string)row[1], (string)row[2])).ToList();
        var results = await Task.WhenAll(cases.Select(c => StartWithAsync(c.Item1, c.Item2, c.Item3)));
        foreach (var result in results)
            output.WriteLine(result);
        Assert.All(results, result => Assert.StartsWith("ok", result, StringComparison.Ordinal));
    }

    static async Task<string> StartWithAsync(string service, string variable, string wrong)
    {
        var what = $"{service} with {wrong} {variable}";
        var process = new ServiceProcess(Enum.Parse<Service>(service), Path.Combine(CampaignSystem.LogRoot, "startup-" + Guid.NewGuid().ToString("N")[..8]));
        await using (process)
        {
            process.Settings[variable] = Value(variable, wrong);
            process.Start();
            // Its exit and its last words: the error is the last thing written, read only once the output is drained.
            if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(90)))
                return $"FAILED {what}: still running after 90 s";
            var log = process.ReadLog();
            var error = log.Split('\n').FirstOrDefault(l => l.StartsWith("Unhandled exception", StringComparison.Ordinal))?.Trim() ?? "(no unhandled exception)";
            var setting = $"'{variable.Replace("__", ":", StringComparison.Ordinal)}'";
            if (process.ExitCode == 0)
                return $"FAILED {what}: exit code 0";
            if (!log.Contains(setting, StringComparison.Ordinal))
                return $"FAILED {what}: the error does not name {setting}: {error}";
            if (log.Contains("wrong-password", StringComparison.Ordinal))
                return $"FAILED {what}: the log shows the password";
            return $"ok {what}: exit code {process.ExitCode}: {error}";
        }
    }

    /// <summary>Each service, at once, on a database that does not answer at first.</summary>
    [Fact]
    public async Task A_database_that_is_down_at_start_is_waited_for_not_crashed_on() =>
        await Task.WhenAll(new[] { "CampaignFinance", "VolunteerCoordinator", "Communications" }.Select(WaitsForItsDatabaseAsync));

    async Task WaitsForItsDatabaseAsync(string service)
    {
        var real = new NpgsqlConnectionStringBuilder(TestInfrastructure.Get($"ConnectionStrings__{service}"));
        using var proxy = new TcpProxy(real.Host!, real.Port);
        var process = new ServiceProcess(Enum.Parse<Service>(service), Path.Combine(CampaignSystem.LogRoot, "startup-" + Guid.NewGuid().ToString("N")[..8]));
        await using (process)
        {
            process.Settings[$"ConnectionStrings__{service}"] = new NpgsqlConnectionStringBuilder(real.ConnectionString) { Port = proxy.Port }.ConnectionString;
            process.Start();

            // It says it is waiting, keeps running, and is not ready.
            await Eventually.Until(() => process.ReadLog().Contains("is not reachable yet", StringComparison.Ordinal),
                $"{service} saying it waits for its database", TimeSpan.FromSeconds(90));
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < deadline)
            {
                Assert.True(process.IsRunning, $"{service} exited while its database was down:\n{process.Tail()}");
                await Task.Delay(250);
            }
            Assert.NotEqual(HttpStatusCode.OK, await ReadyStatusAsync(process));

            proxy.Open();
            await process.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            Assert.True(process.IsRunning);
            output.WriteLine($"{service}: waited for its database, ready once it answered");
        }
    }

    static async Task<HttpStatusCode?> ReadyStatusAsync(ServiceProcess process)
    {
        try
        {
            using var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}

/// <summary>A TCP port that refuses connections until <see cref="Open"/>, then forwards them to the target.</summary>
public sealed class TcpProxy : IDisposable
{
    readonly string _host;
    readonly int _port;
    readonly CancellationTokenSource _stop = new();
    TcpListener? _listener;

    public TcpProxy(string host, int port)
    {
        _host = host;
        _port = port;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public int Port { get; }

    public void Open()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                using (var server = new TcpClient())
                {
                    try
                    {
                        await server.ConnectAsync(_host, _port, _stop.Token);
                        var a = client.GetStream();
                        var b = server.GetStream();
                        await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
                    }
                    catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Stop();
        _listener?.Dispose();
        _stop.Dispose();
    }
}
