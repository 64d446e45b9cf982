using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using Campaign.Outbox.Relay;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Bench;

/// <summary>
/// The child side of <c>relay</c> mode: a second service process whose only job is Campaign.Outbox's relay. It lives for the
/// whole benchmark run, so its code is jitted and tiered up like a long-running relay's, and hosts one configuration run at a
/// time: <c>host &lt;connection string&gt;</c> builds a host with the outbox registered write-only (nothing delivers yet);
/// <c>start</c> creates an <see cref="OutboxRelay{TDbContext}"/> and starts it exactly as the hosted service would be;
/// <c>mark</c> starts the measured window; <c>stop</c> stops the relay and reports what it did and used since
/// <c>start</c>/<c>mark</c>; <c>unhost</c> disposes the host; <c>exit</c> ends the process. Lines on stdin drive it; it answers
/// with <c>@event {json}</c> lines on stdout, and samples its own working set and GC heap every 50 ms.
/// </summary>
static class RelayMode
{
    public static async Task<int> RunAsync(RelayTuning tuning)
    {
        var logs = new LogCounter("relay");
        using var meter = new RelayMeter();
        var memory = new MemorySampler();
        using var sampling = new CancellationTokenSource();
        var sampler = memory.RunAsync(sampling.Token);

        // stdin is read on its own thread: Console.In blocks, and a blocked pool thread starves a 2-core machine's pool.
        var commands = Channel.CreateUnbounded<string>();
        var reader = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } input)
                commands.Writer.TryWrite(input);
            commands.Writer.TryComplete();
        }) { IsBackground = true, Name = "relay-stdin" };
        reader.Start();
        Emit("ready", new { pid = Environment.ProcessId });

        BenchHost? host = null;
        OutboxRelay<BenchDbContext>? relay = null;
        OutboxListener<BenchDbContext>? listener = null;
        RunStart? start = null;
        await foreach (var line in commands.Reader.ReadAllAsync())
        {
            if (RelayMeter.Trace)
                await Console.Error.WriteLineAsync($"[trace {Environment.ProcessId}] {Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000)} ms: command {line.Split(' ')[0]}");
            if (line.StartsWith("host ", StringComparison.Ordinal) && host is null)
            {
                host = await BenchHost.StartAsync(line[5..], OutboxMode.WriteOnly, "relay-", null, null, logs, tuning);
                Emit("hosted", new { pid = Environment.ProcessId });
            }
            else if (line == "start" && host is not null && relay is null)
            {
                start = RunStart.Now(meter, logs);
                memory.Reset();
                // The relay and its LISTEN connection, as AddEntityFrameworkOutbox would run them, started and stopped per run.
                listener = ActivatorUtilities.CreateInstance<OutboxListener<BenchDbContext>>(host.Services);
                await listener.StartAsync(CancellationToken.None);
                relay = ActivatorUtilities.CreateInstance<OutboxRelay<BenchDbContext>>(host.Services);
                await relay.StartAsync(CancellationToken.None);
                Emit("started", new { pid = Environment.ProcessId });
            }
            else if (line == "mark" && relay is not null)
            {
                start = RunStart.Now(meter, logs);
                memory.Reset();
                Emit("marked", new { pid = Environment.ProcessId });
            }
            else if (line == "stop" && relay is not null)
            {
                var stats = start!.Finish(meter, logs, memory);
                await StopAsync(relay, listener);
                relay = null;
                listener = null;
                Emit("stopped", stats);
            }
            else if (line == "unhost" && host is not null)
            {
                if (relay is not null)
                    await StopAsync(relay, listener);
                relay = null;
                listener = null;
                await host.DisposeAsync();
                host = null;
                NpgsqlConnection.ClearAllPools();
                Emit("unhosted", new { pid = Environment.ProcessId });
            }
            else if (line == "exit")
                break;
            else
                Emit("rejected", new { command = line.Split(' ')[0] });
        }

        if (relay is not null)
            await StopAsync(relay, listener);
        if (host is not null)
            await host.DisposeAsync();
        await sampling.CancelAsync();
        await sampler;
        Emit("exited", new { pid = Environment.ProcessId });
        return 0;
    }

    static async Task StopAsync(OutboxRelay<BenchDbContext> relay, OutboxListener<BenchDbContext>? listener)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await relay.StopAsync(timeout.Token);
        relay.Dispose();
        if (listener is not null)
        {
            await listener.StopAsync(timeout.Token);
            listener.Dispose();
        }

        // The stopped relay's LISTEN connection went back to Npgsql's pool; reused by the next relay it can stall that
        // relay's start for up to ~30 s (docs/benchmarks.md, "Issues found in Campaign.Outbox"). Start the next one clean.
        // BENCH_KEEP_POOLS=1 skips this, to reproduce the issue.
        if (Environment.GetEnvironmentVariable("BENCH_KEEP_POOLS") != "1")
            NpgsqlConnection.ClearAllPools();
    }

    static void Emit(string name, object payload)
    {
        Console.Out.WriteLine($"@{name} {JsonSerializer.Serialize(payload)}");
        Console.Out.Flush();
    }

    sealed record RunStart(long At, TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, RelayCounts Counts, int Warnings, int Errors,
        long JitMethods, TimeSpan JitTime)
    {
        public static RunStart Now(RelayMeter meter, LogCounter logs) => new(Stopwatch.GetTimestamp(),
            Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1),
            GC.CollectionCount(2), meter.Read(), logs.Warnings, logs.Errors, System.Runtime.JitInfo.GetCompiledMethodCount(),
            System.Runtime.JitInfo.GetCompilationTime());

        public RelayRunStats Finish(RelayMeter meter, LogCounter logs, MemorySampler memory)
        {
            var counts = meter.Read().Minus(Counts);
            var m = memory.Read();
            return new RelayRunStats(
                Stopwatch.GetElapsedTime(At).TotalSeconds,
                (Process.GetCurrentProcess().TotalProcessorTime - Cpu).TotalSeconds,
                (GC.GetTotalAllocatedBytes() - Allocated) / 1048576.0,
                GC.CollectionCount(0) - Gen0, GC.CollectionCount(1) - Gen1, GC.CollectionCount(2) - Gen2,
                counts.Passes, counts.Delivered, counts.Failures, counts.DbCommands, counts.RoundTrips, logs.Warnings - Warnings, logs.Errors - Errors,
                m.BaselineWorkingSet / 1048576.0, m.PeakWorkingSet / 1048576.0, m.EndWorkingSet / 1048576.0,
                m.BaselineHeap / 1048576.0, m.PeakHeap / 1048576.0,
                System.Runtime.JitInfo.GetCompiledMethodCount() - JitMethods, (System.Runtime.JitInfo.GetCompilationTime() - JitTime).TotalMilliseconds,
                m.Series);
        }
    }
}

/// <summary>What a relay run in the child process did and used.</summary>
sealed record RelayRunStats(
    double Seconds, double CpuSeconds, double AllocatedMB, int Gen0, int Gen1, int Gen2,
    long Passes, long Delivered, long Failures, long DbCommands, long RoundTrips, int Warnings, int Errors,
    double WorkingSetBaselineMB, double WorkingSetPeakMB, double WorkingSetEndMB, double HeapBaselineMB, double HeapPeakMB,
    long JitMethods, double JitMs, IReadOnlyList<MemoryPoint> Series);

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

    public static async Task<RelayChild> StartAsync(RelayTuning tuning)
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

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the relay process");
        var child = new RelayChild(process);
        await child.ExpectAsync("ready", TimeSpan.FromSeconds(90));
        return child;
    }

    /// <summary>Builds the child's host for one configuration run's database (the relay not started yet).</summary>
    public Task HostAsync(string connectionString) => CommandAsync($"host {connectionString}", "hosted", TimeSpan.FromSeconds(90));

    /// <summary>Disposes the child's host (and stops its relay if it runs).</summary>
    public Task UnhostAsync() => CommandAsync("unhost", "unhosted", TimeSpan.FromSeconds(60));

    /// <summary>Starts the child's relay; returns once it runs.</summary>
    public Task StartRelayAsync() => CommandAsync("start", "started", TimeSpan.FromSeconds(30));

    async Task<string> CommandAsync(string command, string reply, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await ExpectAsync(reply, timeout);
    }

    /// <summary>Starts the measured window: the stats <see cref="StopRelayAsync"/> returns count from here.</summary>
    public Task MarkAsync() => CommandAsync("mark", "marked", TimeSpan.FromSeconds(30));

    public async Task<RelayRunStats> StopRelayAsync() =>
        JsonSerializer.Deserialize<RelayRunStats>(await CommandAsync("stop", "stopped", TimeSpan.FromSeconds(60)))!;

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
                if (eventName == "rejected")
                    throw new InvalidOperationException($"relay process {_process.Id} rejected a command: {json}");
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
