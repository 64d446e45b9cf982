using Campaign.Outbox.Bench;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine.EntityFrameworkCore;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>A warm-up whose events did not all arrive: the measured phase would measure a broken setup.</summary>
sealed class WarmupTimeoutException(string message) : Exception(message);

sealed record S2Result(
    string Scenario, double Rate, int Seconds, int Writers, int Sent, int Arrived, int Duplicates, double AchievedRate,
    double? P50, double? P95, double? P99, double? Max, double? CommitP50, double? CommitP99,
    double CpuSeconds, long DbCommands, long JittedMethods, double JitMs, bool Complete);

sealed record DrainResult(
    string Scenario, int Events, int Writers, int Arrived, int Duplicates, double WriteSeconds, double? DrainSeconds,
    double? MsgPerSec, double CpuSeconds, long DbCommands, long JittedMethods, double JitMs, long HeldInOutbox,
    int ArrivedBeforeRelease, int RecoveryBatchSize, int PollingMs, bool Complete, string Method);

/// <summary>The scenarios, on one started <see cref="WolverineHost"/>; progress goes to stderr.</summary>
sealed class Scenarios(WolverineHost host, Recorder recorder, NpgsqlCommandCounter counter, string connectionString, CancellationToken cancellation)
{
    const int WarmupEvents = 1_000;
    static readonly TimeSpan WarmupTimeout = TimeSpan.FromSeconds(60);

    public async Task<S2Result> S2Async(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Two rounds, each followed by a pause for the tiering JIT: after one round the measured phase still jitted
        // ~3,300 methods (over 3 s of JIT time, most of its CPU figure); after two, under a hundred.
        for (var round = 1; round <= 2; round++)
        {
            var paced = (int)(2 * options.Rate);
            await WarmUpAsync(WarmupEvents + paced, run => WriteWarmupAsync(run, options, paced));
        }

        var total = (int)Math.Round(options.Rate * options.Seconds);
        var measured = Guid.NewGuid();
        var commits = new long[total];
        recorder.Reset(measured, total, total);
        Log($"s2: {total:N0} events at {options.Rate}/s for {options.Seconds} s, {options.Writers} writers");

        var probe = PhaseProbe.Start(counter);
        var start = Stopwatch.GetTimestamp();
        await WriteManyAsync(measured, 0, total, options.Writers, options.Rate, start, commits);
        var writeSeconds = Stats.Seconds(Stopwatch.GetTimestamp() - start);
        var complete = await recorder.WaitAllAsync(TimeSpan.FromSeconds(Math.Max(10, options.Seconds)), cancellation);
        var cost = probe.Stop();

        var latencies = new List<double>(total);
        var fromCommit = new List<double>(total);
        var received = recorder.Received;
        var stamps = recorder.Stamps;
        for (var i = 0; i < total; i++)
        {
            if (received[i] == 0)
                continue;
            latencies.Add(Stats.Ms(received[i] - stamps[i]));
            // Can be negative: the flush hands the envelope to the sender before SaveChangesAndFlushMessagesAsync returns.
            fromCommit.Add(Stats.Ms(received[i] - commits[i]));
        }
        var sorted = latencies.Order().ToArray();
        var commitSorted = fromCommit.Order().ToArray();
        double? P(double[] values, double p) => values.Length == 0 ? null : Stats.Round(Stats.Percentile(values, p));

        return new S2Result("s2", options.Rate, options.Seconds, options.Writers, total, recorder.Count, recorder.Duplicates,
            Stats.Round(total / writeSeconds), P(sorted, 50), P(sorted, 95), P(sorted, 99), P(sorted, 100),
            P(commitSorted, 50), P(commitSorted, 99), Stats.Round(cost.CpuSeconds), cost.DbCommands, cost.JittedMethods,
            Stats.Round(cost.JitMs), complete);
    }

    /// <summary>
    /// The backlog drain: N events written while the sending is held back (<see cref="WolverineHost.HoldSendingAsync"/>),
    /// so they pile up in the outgoing envelope table, then released (<see cref="WolverineHost.ReleaseSendingAsync"/>) and
    /// timed from release to the last arrival.
    /// </summary>
    public async Task<DrainResult> DrainAsync(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Unmeasured: the live path as in s2, then one small held-back batch through the same latch and recovery path,
        // so the handler adapter is compiled and the recovery code is jitted before anything is timed.
        await WarmUpAsync(WarmupEvents, run => WriteManyAsync(run, 0, WarmupEvents, options.Writers, rate: null, 0, commits: null));
        // Enough that some go the recovery way too: a latched agent keeps the first 100 in memory (Wolverine's
        // MaximumEnvelopeRetryStorage), the rest wait for the durability agent.
        var small = Math.Min(options.Events, 100 + options.RecoveryBatchSize);
        await WarmUpAsync(small, async run =>
        {
            await HoldBackAsync(run, small, options.Writers);
            await host.ReleaseSendingAsync();
        });

        var measured = Guid.NewGuid();
        recorder.Reset(measured, options.Events, options.Events);
        Log($"drain: writing {options.Events:N0} events with the sender latched, {options.Writers} writers");
        var (writeSeconds, held) = await HoldBackAsync(measured, options.Events, options.Writers);
        var arrivedBeforeRelease = recorder.Count;
        Log($"drain: wrote in {writeSeconds:0.0} s, {arrivedBeforeRelease} arrived meanwhile; releasing");

        var probe = PhaseProbe.Start(counter);
        var release = Stopwatch.GetTimestamp();
        await host.ReleaseSendingAsync();
        // Generous: one recovery pass per polling interval, RecoveryBatchSize envelopes each, plus a minute.
        var passes = (options.Events + options.RecoveryBatchSize - 1) / options.RecoveryBatchSize + 2;
        var timeout = TimeSpan.FromSeconds(60) + passes * TimeSpan.FromMilliseconds(options.PollingMs);
        var complete = await recorder.WaitAllAsync(timeout, cancellation);
        var cost = probe.Stop();
        double? drainSeconds = recorder.Count > 0 ? Stats.Round(Stats.Seconds(recorder.Last - release)) : null;

        return new DrainResult("drain", options.Events, options.Writers, recorder.Count, recorder.Duplicates, Stats.Round(writeSeconds),
            drainSeconds, drainSeconds is > 0 ? Stats.Round(recorder.Count / drainSeconds.Value) : null, Stats.Round(cost.CpuSeconds),
            cost.DbCommands, cost.JittedMethods, Stats.Round(cost.JitMs), held, arrivedBeforeRelease, options.RecoveryBatchSize,
            options.PollingMs, complete,
            "the RabbitMQ sending agent is latched as by its circuit breaker (SendingAgent.LatchAndDrainAsync) while writing, so "
            + "the envelopes pile up in wolverine_outgoing_envelopes; released through the circuit's resume path "
            + "(SendingAgent.PauseAsync(0)): the <=100 kept in memory are re-sent at once, the rest by the durability agent's "
            + $"outbox recovery, {options.RecoveryBatchSize} per {options.PollingMs} ms pass; timed from release to last arrival");
    }

    /// <summary>
    /// The writer step, one business transaction: a new scope's <see cref="IDbContextOutbox{T}"/>, one row, the event
    /// published into the outbox, then SaveChanges (row and envelope in one transaction) and the flush that hands the
    /// envelope to the sending agent. Returns the Stopwatch timestamp right after that returns.
    /// </summary>
    async Task<long> WriteAsync(Guid run, long seq)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<IDbContextOutbox<BenchDbContext>>();
        outbox.DbContext.Rows.Add(new BusinessRow { Id = Guid.CreateVersion7(), Seq = seq, Amount = 10m + seq % 100, CreatedAt = DateTime.UtcNow });
        var stamp = Stopwatch.GetTimestamp();
        await outbox.PublishAsync(new BenchEvent(run, seq, stamp));
        await outbox.SaveChangesAndFlushMessagesAsync(cancellation);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Writes events <paramref name="first"/> to <paramref name="first"/> + count - 1 with <paramref name="writers"/>
    /// concurrent writers. With a rate, event i is due at <paramref name="start"/> + (i - first)/rate and each writer
    /// takes the next due event, so one slow transaction does not hold the schedule back; without one, as fast as possible.
    /// </summary>
    async Task WriteManyAsync(Guid run, int first, int count, int writers, double? rate, long start, long[]? commits)
    {
        var next = first - 1;
        var end = first + count;
        async Task Writer()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                if (rate is { } r)
                {
                    var due = start + (long)((i - first) * Stopwatch.Frequency / r);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                        await Task.Delay(wait, cancellation);
                }
                var committed = await WriteAsync(run, i);
                if (commits is not null)
                    commits[i] = committed;
            }
        }
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(Writer, cancellation)));
    }

    /// <summary>s2's warm-up round: 1,000 events as fast as possible, then <paramref name="paced"/> at the rate for 2 s.</summary>
    async Task WriteWarmupAsync(Guid run, BenchOptions options, int paced)
    {
        await WriteManyAsync(run, 0, WarmupEvents, options.Writers, rate: null, 0, commits: null);
        await WriteManyAsync(run, WarmupEvents, paced, options.Writers, options.Rate, Stopwatch.GetTimestamp(), commits: null);
    }

    /// <summary>
    /// An unmeasured round: <paramref name="write"/> sends <paramref name="events"/> events of a fresh run, all must arrive
    /// within a minute, then a pause until the tiering JIT has recompiled what the round made hot.
    /// </summary>
    async Task WarmUpAsync(int events, Func<Guid, Task> write)
    {
        var run = Guid.NewGuid();
        recorder.Reset(run, events, events);
        Log($"warm-up: {events:N0} events");
        await write(run);
        if (!await recorder.WaitAllAsync(WarmupTimeout, cancellation))
            throw new WarmupTimeoutException($"warm-up: only {recorder.Count:N0} of {events:N0} events arrived within {WarmupTimeout.TotalSeconds:0} s");
        var settled = await PhaseProbe.SettleJitAsync(TimeSpan.FromSeconds(20), cancellation);
        Log($"warm-up: all arrived; JIT settled {settled.TotalSeconds:0} s later");
    }

    /// <summary>Latches the sender and writes <paramref name="count"/> events; returns the write time and how many are held.</summary>
    async Task<(double WriteSeconds, long Held)> HoldBackAsync(Guid run, int count, int writers)
    {
        await host.HoldSendingAsync();
        var start = Stopwatch.GetTimestamp();
        await WriteManyAsync(run, 0, count, writers, rate: null, 0, commits: null);
        var writeSeconds = Stats.Seconds(Stopwatch.GetTimestamp() - start);
        return (writeSeconds, await CountHeldAsync());
    }

    /// <summary>Envelopes waiting in Wolverine's outgoing table (logged by owner: 0 is any node, the recovery's to take).</summary>
    async Task<long> CountHeldAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand(
            $"SELECT owner_id, count(*) FROM {WolverineHost.Schema}.wolverine_outgoing_envelopes GROUP BY owner_id ORDER BY owner_id", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var total = 0L;
        var owners = new List<string>();
        while (await reader.ReadAsync(cancellation))
        {
            total += reader.GetInt64(1);
            owners.Add($"owner_id {reader.GetInt32(0)}: {reader.GetInt64(1):N0}");
        }
        Log($"held in {WolverineHost.Schema}.wolverine_outgoing_envelopes: {(owners.Count == 0 ? "none" : string.Join(", ", owners))}");
        return total;
    }

    static void Log(string message) => Console.Error.WriteLine($"[bench-wolverine] {message}");
}
