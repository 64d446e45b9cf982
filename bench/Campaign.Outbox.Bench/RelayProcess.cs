using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using Campaign.Outbox.Relay;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Bench;

/// <summary>
/// The child side of <c>relay</c> mode: a second service process whose only job is Campaign.Outbox's relay. The host
/// registers the outbox write-only, so nothing delivers until the parent says <c>start</c>; then an
/// <see cref="OutboxRelay{TDbContext}"/> is created and started exactly as the hosted service would be. Lines on stdin
/// drive it (<c>start</c>, <c>stop</c>, <c>exit</c>); it answers with <c>@event {json}</c> lines on stdout, and samples its own
/// working set and GC heap every 50 ms while a relay runs.
/// </summary>
static class RelayMode
{
    public const string DatabaseVariable = "BENCH_RELAY_DB";

    public static async Task<int> RunAsync(RelayTuning tuning)
    {
        var connectionString = Environment.GetEnvironmentVariable(DatabaseVariable)
            ?? throw new InvalidOperationException($"relay mode needs {DatabaseVariable}");
        var logs = new LogCounter("relay");
        using var meter = new RelayMeter();
        var memory = new MemorySampler();
        using var sampling = new CancellationTokenSource();
        var sampler = memory.RunAsync(sampling.Token);

        await using (var host = await BenchHost.StartAsync(connectionString, OutboxMode.WriteOnly, "relay-", null, null, logs, tuning))
        {
            Emit("ready", new { pid = Environment.ProcessId });
            OutboxRelay<BenchDbContext>? relay = null;
            RunStart? start = null;
            // stdin is read on its own thread: Console.In blocks, and a blocked pool thread starves a 2-core machine's pool.
            var commands = Channel.CreateUnbounded<string>();
            var reader = new Thread(() =>
            {
                while (Console.In.ReadLine() is { } input)
                    commands.Writer.TryWrite(input);
                commands.Writer.TryComplete();
            }) { IsBackground = true, Name = "relay-stdin" };
            reader.Start();
            await foreach (var line in commands.Reader.ReadAllAsync())
            {
                if (RelayMeter.Trace)
                    await Console.Error.WriteLineAsync($"[trace {Environment.ProcessId}] {Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000)} ms: command {line}");
                if (line == "start" && relay is null)
                {
                    start = RunStart.Now(meter, logs);
                    memory.Reset();
                    relay = ActivatorUtilities.CreateInstance<OutboxRelay<BenchDbContext>>(host.Services);
                    await relay.StartAsync(CancellationToken.None);
                    if (RelayMeter.Trace)
                        await Console.Error.WriteLineAsync($"[trace {Environment.ProcessId}] {Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000)} ms: relay started");
                    Emit("started", new { pid = Environment.ProcessId, at = Stopwatch.GetTimestamp() });
                }
                else if (line == "stop" && relay is not null)
                {
                    var stats = start!.Finish(meter, logs, memory);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await relay.StopAsync(timeout.Token);
                    relay.Dispose();
                    relay = null;

                    // The stopped relay's LISTEN connection went back to Npgsql's pool; reused by the next relay it can stall
                    // that relay's start for up to ~30 s (see docs/benchmarks.md, "Issues found"). Start the next one clean.
                    NpgsqlConnection.ClearAllPools();
                    Emit("stopped", stats);
                }
                else if (line == "exit")
                    break;
            }

            if (relay is not null)
            {
                await relay.StopAsync(CancellationToken.None);
                relay.Dispose();
            }
        }

        await sampling.CancelAsync();
        await sampler;
        Emit("exited", new { pid = Environment.ProcessId });
        return 0;
    }

    static void Emit(string name, object payload)
    {
        Console.Out.WriteLine($"@{name} {JsonSerializer.Serialize(payload)}");
        Console.Out.Flush();
    }

    sealed record RunStart(long At, TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, RelayCounts Counts, int Warnings, int Errors)
    {
        public static RunStart Now(RelayMeter meter, LogCounter logs) => new(Stopwatch.GetTimestamp(),
            Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1),
            GC.CollectionCount(2), meter.Read(), logs.Warnings, logs.Errors);

        public RelayRunStats Finish(RelayMeter meter, LogCounter logs, MemorySampler memory)
        {
            var counts = meter.Read().Minus(Counts);
            var m = memory.Read();
            return new RelayRunStats(
                Stopwatch.GetElapsedTime(At).TotalSeconds,
                (Process.GetCurrentProcess().TotalProcessorTime - Cpu).TotalSeconds,
                (GC.GetTotalAllocatedBytes() - Allocated) / 1048576.0,
                GC.CollectionCount(0) - Gen0, GC.CollectionCount(1) - Gen1, GC.CollectionCount(2) - Gen2,
                counts.Passes, counts.Delivered, counts.Failures, logs.Warnings - Warnings, logs.Errors - Errors,
                m.BaselineWorkingSet / 1048576.0, m.PeakWorkingSet / 1048576.0, m.EndWorkingSet / 1048576.0,
                m.BaselineHeap / 1048576.0, m.PeakHeap / 1048576.0, m.Series);
        }
    }
}

/// <summary>What a relay run in the child process did and used.</summary>
sealed record RelayRunStats(
    double Seconds, double CpuSeconds, double AllocatedMB, int Gen0, int Gen1, int Gen2,
    long Passes, long Delivered, long Failures, int Warnings, int Errors,
    double WorkingSetBaselineMB, double WorkingSetPeakMB, double WorkingSetEndMB, double HeapBaselineMB, double HeapPeakMB,
    IReadOnlyList<MemoryPoint> Series);

sealed record MemoryPoint(double Seconds, double WorkingSetMB, double HeapMB);

/// <summary>Samples this process's working set and managed heap every 50 ms; peaks since the last reset; a point every 250 ms.</summary>
sealed class MemorySampler
{
    readonly Lock _gate = new();
    readonly List<MemoryPoint> _series = [];
    long _since = Stopwatch.GetTimestamp();
    long _baselineWs;
    long _baselineHeap;
    long _peakWs;
    long _peakHeap;
    long _lastWs;
    int _tick;

    public void Reset()
    {
        lock (_gate)
        {
            _since = Stopwatch.GetTimestamp();
            _baselineWs = _peakWs = _lastWs = Environment.WorkingSet;
            _baselineHeap = _peakHeap = GC.GetTotalMemory(false);
            _series.Clear();
            _tick = 0;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var ws = Environment.WorkingSet;
                var heap = GC.GetTotalMemory(false);
                lock (_gate)
                {
                    _lastWs = ws;
                    _peakWs = Math.Max(_peakWs, ws);
                    _peakHeap = Math.Max(_peakHeap, heap);
                    if (_tick++ % 5 == 0)
                        _series.Add(new MemoryPoint(Stopwatch.GetElapsedTime(_since).TotalSeconds, ws / 1048576.0, heap / 1048576.0));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public (long BaselineWorkingSet, long PeakWorkingSet, long EndWorkingSet, long BaselineHeap, long PeakHeap, List<MemoryPoint> Series) Read()
    {
        lock (_gate)
            return (_baselineWs, _peakWs, _lastWs, _baselineHeap, _peakHeap, [.. _series]);
    }
}

/// <summary>The parent's handle on a relay child process.</summary>
sealed class RelayChild : IAsyncDisposable
{
    readonly Process _process;
    readonly Channel<(string Name, string Json)> _events = Channel.CreateUnbounded<(string, string)>();
    readonly Task _stdout;
    readonly Task _stderr;

    RelayChild(Process process)
    {
        _process = process;
        _stdout = PumpAsync(process.StandardOutput, true);
        _stderr = PumpAsync(process.StandardError, false);
    }

    public int Pid => _process.Id;

    public static async Task<RelayChild> StartAsync(string connectionString, RelayTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var self = Environment.ProcessPath ?? "dotnet";
        info.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        info.ArgumentList.Add("relay");
        foreach (var arg in tuning.ToArgs())
            info.ArgumentList.Add(arg);
        info.Environment[RelayMode.DatabaseVariable] = connectionString;

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the relay process");
        var child = new RelayChild(process);
        await child.ExpectAsync("ready", TimeSpan.FromSeconds(90));
        return child;
    }

    /// <summary>Starts the child's relay; returns once it runs.</summary>
    public async Task StartRelayAsync()
    {
        await _process.StandardInput.WriteLineAsync("start");
        await _process.StandardInput.FlushAsync();
        await ExpectAsync("started", TimeSpan.FromSeconds(30));
    }

    public async Task<RelayRunStats> StopRelayAsync()
    {
        await _process.StandardInput.WriteLineAsync("stop");
        await _process.StandardInput.FlushAsync();
        var json = await ExpectAsync("stopped", TimeSpan.FromSeconds(60));
        return JsonSerializer.Deserialize<RelayRunStats>(json)!;
    }

    async Task<string> ExpectAsync(string name, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (eventName, json) = await _events.Reader.ReadAsync(cancel.Token);
                if (eventName == name)
                    return json;
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException)
        {
            throw new InvalidOperationException($"relay process {_process.Id} did not report '{name}' within {timeout.TotalSeconds} s"
                + (_process.HasExited ? $" (it exited with {_process.ExitCode})" : ""), exception);
        }
    }

    async Task PumpAsync(StreamReader reader, bool events)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (events && line.StartsWith('@'))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                _events.Writer.TryWrite(space < 0 ? (line[1..], "{}") : (line[1..space], line[(space + 1)..]));
            }
            else
                await Console.Error.WriteLineAsync($"[relay {_process.Id}] {line}");
        }
        if (events)
            _events.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("exit");
                await _process.StandardInput.FlushAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            _process.Kill(); // our own child, by its id
        }
        await Task.WhenAll(_stdout, _stderr);
        _process.Dispose();
    }
}
