using System.Diagnostics;
using Campaign.Outbox.Configuration;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Campaign.Outbox.Bench;

enum RelayPlacement
{
    /// <summary>The writer's own relay (hosted service in the writing process).</summary>
    Same,

    /// <summary>Writer write-only; the relay runs in a second process.</summary>
    Second,

    /// <summary>The writer's relay and a second process's relay, on one database.</summary>
    Both,
}

/// <summary>What one write-path transaction does.</summary>
enum WriteKind
{
    /// <summary>One business row, SaveChanges (EF sends a lone INSERT without a transaction block).</summary>
    Plain = 0,

    /// <summary>One business row and one event through the bus outbox (three rows), SaveChanges; relays woken after the commit.</summary>
    Outbox = 1,

    /// <summary>Diagnostic: the plain insert inside an explicit transaction (BEGIN … COMMIT, one more round trip).</summary>
    PlainInTransaction = 2,

    /// <summary>Diagnostic: the outbox write with no wake-up at all (relays would find it by polling).</summary>
    OutboxWithoutNotify = 3,

    /// <summary>The earlier design: the outbox write with the NOTIFY trigger inside the business transaction.</summary>
    OutboxNotifyTrigger = 4,
}

/// <summary>The scenarios of docs/how-we-measure.md, one configuration run per call, each on its own database and queue.</summary>
sealed class Scenarios(BenchOptions options, string runId) : IAsyncDisposable
{
    static readonly TimeSpan WarmupTimeout = TimeSpan.FromSeconds(60);
    readonly LogCounter _logs = new("bench");
    readonly RelayMeter _meter = new();
    int _configs;
    RelayChild? _relay;

    public List<Measurement> Results { get; } = [];

    (string Id, string Queue, string Prefix) Names(string scenario, int rep)
    {
        var id = $"{runId}-{scenario}-r{rep}-{Interlocked.Increment(ref _configs)}";
        return (id, $"bench-{id}", $"bench-{id}-");
    }

    static Task<BenchDatabase> CreateDatabaseAsync(string scenario) => BenchDatabase.CreateAsync($"bench_{scenario}");

    // ---------------------------------------------------------------- S3 direct ceiling

    public async Task<Measurement> S3Async(int rep, int events, bool record = true)
    {
        var (_, queue, prefix) = Names("s3", rep);
        var recorder = new Recorder();
        string? exchange = null;
        try
        {
            await using var host = await BenchHost.StartAsync(null, OutboxMode.None, prefix, queue, recorder, _logs, options.Tuning);
            exchange = host.MessageExchange;
            var bus = host.Services.GetRequiredService<IBus>();

            await PublishDirectAsync(bus, recorder, Guid.NewGuid(), Math.Min(500, events), options.S3Concurrency, WarmupTimeout);

            var run = Guid.NewGuid();
            recorder.Reset(run, events, events);
            var cpu0 = CpuProbe.Take();
            var jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
            var t0 = Stopwatch.GetTimestamp();
            var published = await PublishAsync(bus, run, events, options.S3Concurrency);
            var complete = await recorder.WaitAllAsync(DrainTimeout(events));
            var cpu1 = CpuProbe.Take();
            var seconds = Stopwatch.GetElapsedTime(t0, Math.Max(recorder.Last, t0 + 1)).TotalSeconds;

            var m = new Measurement("S3", "direct publish", rep, new()
            {
                ["msgPerSec"] = recorder.Count / seconds,
                ["publishPerSec"] = events / Stopwatch.GetElapsedTime(t0, published).TotalSeconds,
                ["benchJitMethods"] = System.Runtime.JitInfo.GetCompiledMethodCount() - jit0,
                ["seconds"] = seconds,
                ["arrived"] = recorder.Count,
                ["sent"] = events,
                ["duplicates"] = recorder.Duplicates,
                ["complete"] = complete ? 1 : 0,
            }, new() { ["run"] = cpu1.Since(cpu0) });
            if (record)
                Results.Add(m);
            return m;
        }
        finally
        {
            await Rabbit.DeleteAsync([queue], Exchanges(queue, exchange));
        }
    }

    static async Task PublishDirectAsync(IBus bus, Recorder recorder, Guid run, int count, int concurrency, TimeSpan timeout)
    {
        recorder.Reset(run, count, count);
        await PublishAsync(bus, run, count, concurrency);
        if (!await recorder.WaitAllAsync(timeout))
            throw new TimeoutException($"warm-up: {recorder.Count} of {count} arrived");
    }

    /// <summary>Publishes straight to RabbitMQ with <paramref name="concurrency"/> publishes in flight (each awaits its confirm).</summary>
    static async Task<long> PublishAsync(IBus bus, Guid run, int count, int concurrency)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                await bus.Publish(new BenchEvent(run, i, Stopwatch.GetTimestamp()));
        })));
        return Stopwatch.GetTimestamp();
    }

    // ---------------------------------------------------------------- S1 backlog drain

    public async Task<Measurement> S1Async(int rep, int events, bool record = true)
    {
        var (_, queue, prefix) = Names("s1", rep);
        var recorder = new Recorder();
        string? exchange = null;
        await using var database = await CreateDatabaseAsync("s1");
        await BenchDbContext.CreateSchemaAsync(database.ConnectionString);
        try
        {
            await using var host = await BenchHost.StartAsync(database.ConnectionString, OutboxMode.WriteOnly, prefix, queue, recorder, _logs,
                options.Tuning);
            exchange = host.MessageExchange;
            var relay = await RelayAsync();
            await relay.HostAsync(database.ConnectionString);
            await using var unhost = new Cleanup(relay.UnhostAsync);

            // Warm-up (not measured): the child relay delivers a couple of thousand events so its connections are open and
            // its caches filled; then it stops, and the backlog is written with no relay running.
            await relay.StartRelayAsync();
            var warmup = Math.Min(2_000, events);
            var warmupRun = Guid.NewGuid();
            recorder.Reset(warmupRun, warmup, warmup);
            await WriteFixedAsync(host.Services, warmup, options.Writers, WriteKind.Outbox, warmupRun);
            if (!await recorder.WaitAllAsync(WarmupTimeout))
                throw new TimeoutException($"S1 warm-up: {recorder.Count} of {warmup} arrived");
            await relay.StopRelayAsync();

            // Write phase: N transactions, each one business row + one event, relay not running.
            var run = Guid.NewGuid();
            recorder.Reset(run, events, events);
            var w0 = CpuProbe.Take(relay.Pid);
            var writeTime = options.Seed
                ? await SeedAsync(host.Services, database.ConnectionString, events, run)
                : await WriteFixedAsync(host.Services, events, options.Writers, WriteKind.Outbox, run);
            var w1 = CpuProbe.Take(relay.Pid);
            var pending = await CountOutboxAsync(database.ConnectionString);

            // Drain: start the relay in the second process, time until the consumer has all N.
            var d0 = CpuProbe.Take(relay.Pid);
            var t0 = Stopwatch.GetTimestamp();
            if (RelayMeter.Trace)
                await Console.Error.WriteLineAsync($"[trace] {t0 / (Stopwatch.Frequency / 1000)} ms: drain starts");
            await relay.StartRelayAsync();
            var complete = await recorder.WaitAllAsync(DrainTimeout(events));
            if (RelayMeter.Trace)
                await Console.Error.WriteLineAsync($"[trace] {recorder.Last / (Stopwatch.Frequency / 1000)} ms: last received");
            var d1 = CpuProbe.Take(relay.Pid);
            var stats = await relay.StopRelayAsync();
            var seconds = Stopwatch.GetElapsedTime(t0, Math.Max(recorder.Last, t0 + 1)).TotalSeconds;
            var left = await CountOutboxAsync(database.ConnectionString);

            var m = new Measurement("S1", "backlog drain, relay in 2nd process", rep, new()
            {
                ["writeTxPerSec"] = events / writeTime.TotalSeconds,
                ["msgPerSec"] = recorder.Count / seconds,
                ["seconds"] = seconds,
                ["arrived"] = recorder.Count,
                ["sent"] = events,
                ["pendingBeforeDrain"] = pending,
                ["leftInOutbox"] = left,
                ["duplicates"] = recorder.Duplicates,
                ["complete"] = complete ? 1 : 0,
                ["relayWsBaselineMB"] = stats.WorkingSetBaselineMB,
                ["relayWsPeakMB"] = stats.WorkingSetPeakMB,
                ["relayWsEndMB"] = stats.WorkingSetEndMB,
                ["relayHeapPeakMB"] = stats.HeapPeakMB,
                ["relayCpuSeconds"] = stats.CpuSeconds,
                ["relayAllocatedKBPerMsg"] = stats.AllocatedMB * 1024 / Math.Max(1, stats.Delivered),
                ["relayGen2"] = stats.Gen2,
                ["relayJitMethods"] = stats.JitMethods,
                ["relayJitMs"] = stats.JitMs,
                ["relayPasses"] = stats.Passes,
                ["relayMsgPerPass"] = stats.Delivered / (double)Math.Max(1, stats.Passes),
                ["relayDbCommands"] = stats.DbCommands,
                ["relayFailures"] = stats.Failures,
                ["relayWarnings"] = stats.Warnings + stats.Errors,
            }, new() { ["write"] = w1.Since(w0), ["drain"] = d1.Since(d0) }, stats);
            if (record)
                Results.Add(m);
            return m;
        }
        finally
        {
            await Rabbit.DeleteAsync([queue], Exchanges(queue, exchange));
        }
    }

    // ---------------------------------------------------------------- Write path

    public async Task<Measurement> WriteAsync(int rep, WriteKind kind, int writers, int transactions, bool record = true)
    {
        var (_, _, prefix) = Names("w", rep);
        string? exchange = null;
        await using var database = await CreateDatabaseAsync("write");
        await BenchDbContext.CreateSchemaAsync(database.ConnectionString, notifyTrigger: kind == WriteKind.OutboxNotifyTrigger);
        try
        {
            var notification = kind switch
            {
                WriteKind.OutboxNotifyTrigger => OutboxNotification.Trigger,
                WriteKind.OutboxWithoutNotify => OutboxNotification.None,
                _ => OutboxNotification.AfterCommit,
            };
            await using var host = await BenchHost.StartAsync(database.ConnectionString, OutboxMode.WriteOnly, prefix, null, null, _logs,
                options.Tuning, notification);
            exchange = host.MessageExchange;
            var run = Guid.NewGuid();
            await WriteFixedAsync(host.Services, Math.Min(300, transactions), writers, kind, run);

            var cpu0 = CpuProbe.Take();
            var jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
            var elapsed = await WriteFixedAsync(host.Services, transactions, writers, kind, run, offset: 1_000_000);
            var jit = System.Runtime.JitInfo.GetCompiledMethodCount() - jit0;
            var cpu1 = CpuProbe.Take();
            var m = new Measurement("W", $"{Describe(kind)}, {writers} writer{(writers == 1 ? "" : "s")}", rep, new()
            {
                ["txPerSec"] = transactions / elapsed.TotalSeconds,
                ["transactions"] = transactions,
                ["writers"] = writers,
                ["kind"] = (int)kind,
                ["benchJitMethods"] = jit,
            }, new() { ["run"] = cpu1.Since(cpu0) });
            if (record)
                Results.Add(m);
            return m;
        }
        finally
        {
            await Rabbit.DeleteAsync([], Exchanges(null, exchange));
        }
    }

    public static string Describe(WriteKind kind) => kind switch
    {
        WriteKind.Plain => "plain EF insert",
        WriteKind.Outbox => "EF insert + outbox publish",
        WriteKind.PlainInTransaction => "plain EF insert in an explicit transaction",
        WriteKind.OutboxNotifyTrigger => "EF insert + outbox publish, NOTIFY trigger in the transaction (before)",
        _ => "EF insert + outbox publish, no wake-up at all",
    };

    /// <summary>Runs <paramref name="count"/> transactions on <paramref name="writers"/> concurrent writers, as fast as they go.</summary>
    static async Task<TimeSpan> WriteFixedAsync(IServiceProvider services, int count, int writers, WriteKind kind, Guid run, long offset = 0)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                await WriteOneAsync(services, run, i, offset, kind, null);
        })));
        return clock.Elapsed;
    }

    /// <summary>
    /// One unit of work as a request handler does it: a scope, its DbContext, one business row, optionally one event through
    /// the scoped <see cref="IPublishEndpoint"/> (the bus outbox), one SaveChanges = one transaction.
    /// </summary>
    static async Task WriteOneAsync(IServiceProvider services, Guid run, long seq, long offset, WriteKind kind, long[]? committed)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BenchDbContext>();
        db.Rows.Add(new BusinessRow { Id = Guid.CreateVersion7(), Seq = seq + offset, Amount = 25m, CreatedAt = DateTime.UtcNow });
        if (kind is WriteKind.Outbox or WriteKind.OutboxWithoutNotify or WriteKind.OutboxNotifyTrigger)
        {
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new BenchEvent(run, seq, Stopwatch.GetTimestamp()));
            await db.SaveChangesAsync();
        }
        else if (kind == WriteKind.PlainInTransaction)
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        else
            await db.SaveChangesAsync();
        if (committed is not null)
            committed[seq] = Stopwatch.GetTimestamp();
    }

    // ---------------------------------------------------------------- S2 steady latency

    public async Task<Measurement> S2Async(int rep, int rate, RelayPlacement placement, TimeSpan duration, bool record = true, int scheduled = 0)
    {
        var (_, queue, prefix) = Names($"s2-{rate}-{placement.ToString().ToLowerInvariant()}{(scheduled > 0 ? "-scheduled" : "")}", rep);
        var recorder = new Recorder();
        string? exchange = null;
        await using var database = await CreateDatabaseAsync("s2");
        await BenchDbContext.CreateSchemaAsync(database.ConnectionString);
        if (scheduled > 0)
            await SeedScheduledAsync(database.ConnectionString, scheduled);
        try
        {
            RelayChild? relay = null;
            try
            {
                if (placement != RelayPlacement.Same)
                {
                    relay = await RelayAsync();
                    await relay.HostAsync(database.ConnectionString);
                    await relay.StartRelayAsync();
                }

                await using var host = await BenchHost.StartAsync(database.ConnectionString,
                    placement == RelayPlacement.Second ? OutboxMode.WriteOnly : OutboxMode.Relay, prefix, queue, recorder, _logs, options.Tuning);
                exchange = host.MessageExchange;

                // Warm-up (not measured): a burst drained (so the relay's code is jitted and tiered up), then two seconds at the
                // rate, all delivered. A relay child is a fresh process; without this its JIT would be measured, not the relay.
                var warmupRun = Guid.NewGuid();
                var burst = 1_000;
                recorder.Reset(warmupRun, burst + 2 * rate);
                await WriteFixedAsync(host.Services, burst, options.Writers, WriteKind.Outbox, warmupRun, offset: 2_000_000);
                var sentWarmup = await WritePacedAsync(host.Services, warmupRun, rate, TimeSpan.FromSeconds(2), new long[2 * rate], offset: burst);
                recorder.Expect(burst + sentWarmup);
                if (!await recorder.WaitAllAsync(WarmupTimeout))
                    throw new TimeoutException($"S2 warm-up: {recorder.Count} of {burst + sentWarmup} arrived");
                if (relay is not null)
                    await relay.MarkAsync();

                var capacity = (int)(rate * duration.TotalSeconds) + 16;
                var committed = new long[capacity];
                var run = Guid.NewGuid();
                recorder.Reset(run, capacity);
                var logWarnings = _logs.Warnings + _logs.Errors;
                var meter0 = _meter.Read();
                var cpu0 = CpuProbe.Take(relay?.Pid);
                var jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
                var t0 = Stopwatch.GetTimestamp();
                var sent = await WritePacedAsync(host.Services, run, rate, duration, committed);
                var writeSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                recorder.Expect(sent);
                var complete = await recorder.WaitAllAsync(TimeSpan.FromSeconds(Math.Max(10, duration.TotalSeconds)));
                var cpu1 = CpuProbe.Take(relay?.Pid);
                var relayStats = relay is null ? null : await relay.StopRelayAsync();
                var meter = _meter.Read().Minus(meter0);

                var fromStamp = new List<double>(sent);
                var fromCommit = new List<double>(sent);
                var received = recorder.Received;
                var stamps = recorder.Stamps;
                for (var i = 0; i < sent; i++)
                {
                    if (received[i] == 0)
                        continue;
                    if (stamps[i] != 0)
                        fromStamp.Add(Stopwatch.GetElapsedTime(stamps[i], received[i]).TotalMilliseconds);
                    if (committed[i] != 0)
                        fromCommit.Add(Stopwatch.GetElapsedTime(committed[i], received[i]).TotalMilliseconds);
                }
                var s = fromStamp.Order().ToArray();
                var c = fromCommit.Order().ToArray();

                var m = new Measurement("S2", $"{rate}/s, {Describe(placement)}{(scheduled > 0 ? $", {scheduled:N0} scheduled waiting" : "")}", rep, new()
                {
                    ["rate"] = rate,
                    ["sent"] = sent,
                    ["arrived"] = recorder.Count,
                    ["arrivedPct"] = 100.0 * recorder.Count / Math.Max(1, sent),
                    ["achievedRate"] = sent / writeSeconds,
                    ["p50"] = Percentiles.Of(s, 50),
                    ["p95"] = Percentiles.Of(s, 95),
                    ["p99"] = Percentiles.Of(s, 99),
                    ["max"] = s.Length == 0 ? double.NaN : s[^1],
                    ["commitP50"] = Percentiles.Of(c, 50),
                    ["commitP99"] = Percentiles.Of(c, 99),
                    ["commitMax"] = c.Length == 0 ? double.NaN : c[^1],
                    ["duplicates"] = recorder.Duplicates,
                    ["complete"] = complete ? 1 : 0,
                    ["inProcessPasses"] = meter.Passes,
                    ["inProcessDelivered"] = meter.Delivered,
                    ["inProcessRoundTrips"] = meter.RoundTrips,
                    ["benchDbCommands"] = meter.DbCommands,
                    ["childPasses"] = relayStats?.Passes ?? 0,
                    ["childDelivered"] = relayStats?.Delivered ?? 0,
                    ["childDbCommands"] = relayStats?.DbCommands ?? 0,
                    ["childRoundTrips"] = relayStats?.RoundTrips ?? 0,
                    ["childCpuSeconds"] = relayStats?.CpuSeconds ?? 0,
                    ["relayFailures"] = meter.Failures + (relayStats?.Failures ?? 0),
                    ["benchJitMethods"] = System.Runtime.JitInfo.GetCompiledMethodCount() - jit0,
                    ["relayJitMethods"] = relayStats?.JitMethods ?? 0,
                    ["warnings"] = _logs.Warnings + _logs.Errors - logWarnings + (relayStats is null ? 0 : relayStats.Warnings + relayStats.Errors),
                }, new() { ["run"] = cpu1.Since(cpu0) }, relayStats);
                if (record)
                    Results.Add(m);
                return m;
            }
            finally
            {
                if (relay is not null)
                    await relay.UnhostAsync();
            }
        }
        finally
        {
            await Rabbit.DeleteAsync([queue], Exchanges(queue, exchange));
        }
    }

    /// <summary>
    /// Units of work scheduled for three days from now (a saga's deadlines, say), each with one message: they wait in the
    /// outbox while S2 runs, and the claim and its look-ahead must not pay for them.
    /// </summary>
    static async Task SeedScheduledAsync(string connectionString, int count)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var seed = new Npgsql.NpgsqlCommand($$"""
            WITH units AS (
                INSERT INTO "OutboxState" ("OutboxId", "LockId", "Created")
                SELECT gen_random_uuid(), '{{Guid.Empty}}', clock_timestamp() + interval '3 days' + g * interval '1 ms'
                FROM generate_series(1, $1) g
                RETURNING "OutboxId", "Created")
            INSERT INTO "OutboxMessage" ("OutboxId", "MessageId", "SentTime", "EnqueueTime", "ContentType", "MessageType", "Body")
            SELECT "OutboxId", gen_random_uuid(), clock_timestamp(), "Created", 'application/vnd.masstransit+json',
                   'urn:message:Campaign.Outbox.Bench:Reminder', $2
            FROM units
            """, connection);
        seed.Parameters.Add(new Npgsql.NpgsqlParameter { Value = count });
        seed.Parameters.Add(new Npgsql.NpgsqlParameter { Value = "{\"message\":{}}" });
        await seed.ExecuteNonQueryAsync();
        await using var analyze = new Npgsql.NpgsqlCommand("""ANALYZE "OutboxState"; ANALYZE "OutboxMessage";""", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    static string Describe(RelayPlacement placement) => placement switch
    {
        RelayPlacement.Same => "relay in the writer's process",
        RelayPlacement.Second => "relay in a 2nd process",
        _ => "two relays (writer's + 2nd process)",
    };

    /// <summary>
    /// Commits events at a fixed rate: event i is due at start + i/rate; up to 8 writers take the next due event, so a
    /// slow transaction does not hold the schedule back. Records each event's commit time (right after SaveChanges returns).
    /// </summary>
    static async Task<int> WritePacedAsync(IServiceProvider services, Guid run, int rate, TimeSpan duration, long[] committed, int offset = 0)
    {
        var total = Math.Min(committed.Length, (int)(rate * duration.TotalSeconds));
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < total; i = Interlocked.Increment(ref next))
            {
                var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                await WriteOneAsync(services, run, i + offset, 0, WriteKind.Outbox, offset == 0 ? committed : null);
            }
        })));
        return total;
    }

    // ---------------------------------------------------------------- helpers

    static TimeSpan DrainTimeout(int events) => TimeSpan.FromSeconds(Math.Max(120, events / 100.0));

    static IEnumerable<string> Exchanges(string? queue, string? messageExchange)
    {
        if (queue is not null)
            yield return queue;
        if (!string.IsNullOrEmpty(messageExchange))
            yield return messageExchange;
    }

    /// <summary>
    /// A backlog too large to write through EF in reasonable time (1,000,000 events): one unit of work written through the
    /// outbox, then copied by SQL in batches, each copy its own unit of work with a new message id and its own sequence
    /// number in the body. What the relay reads is byte for byte what the outbox writes.
    /// </summary>
    static async Task<TimeSpan> SeedAsync(IServiceProvider services, string connectionString, int events, Guid run)
    {
        var clock = Stopwatch.StartNew();
        await WriteOneAsync(services, run, 0, 0, WriteKind.Outbox, null);
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        const int Batch = 50_000;
        for (var from = 1; from < events; from += Batch)
        {
            await using var copy = new Npgsql.NpgsqlCommand("""
                WITH t AS (SELECT * FROM "OutboxMessage" ORDER BY "SequenceNumber" LIMIT 1),
                     s AS (SELECT g, gen_random_uuid() AS outbox, gen_random_uuid() AS message FROM generate_series($1::bigint, $2::bigint) g),
                     states AS (INSERT INTO "OutboxState" ("OutboxId", "LockId", "Created") SELECT outbox, outbox, clock_timestamp() FROM s)
                INSERT INTO "OutboxMessage" ("MessageId", "ConversationId", "CorrelationId", "InitiatorId", "RequestId", "SourceAddress",
                    "DestinationAddress", "ResponseAddress", "FaultAddress", "ExpirationTime", "EnqueueTime", "SentTime", "Headers",
                    "Properties", "ContentType", "MessageType", "Body", "OutboxId")
                SELECT s.message, t."ConversationId", t."CorrelationId", t."InitiatorId", t."RequestId", t."SourceAddress",
                    t."DestinationAddress", t."ResponseAddress", t."FaultAddress", t."ExpirationTime", t."EnqueueTime", t."SentTime", t."Headers",
                    t."Properties", t."ContentType", t."MessageType",
                    replace(regexp_replace(t."Body", '"seq":(\s*)0\M', '"seq":\1' || s.g), t."MessageId"::text, s.message::text), s.outbox
                FROM s CROSS JOIN t ORDER BY s.g
                """, connection) { CommandTimeout = 600 };
            copy.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (long)from });
            copy.Parameters.Add(new Npgsql.NpgsqlParameter { Value = (long)Math.Min(events - 1, from + Batch - 1) });
            await copy.ExecuteNonQueryAsync();
        }
        await using (var check = new Npgsql.NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE "Body" ~ '"seq":\s*1\M'), min("Body") FROM "OutboxMessage"
            """, connection))
        await using (var reader = await check.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            if (events > 1 && reader.GetInt64(0) != 1)
                throw new InvalidOperationException($"Seeding the backlog: the template body has no \"seq\": 0 to replace: {reader.GetString(1)}");
        }
        await using (var analyze = new Npgsql.NpgsqlCommand("""ANALYZE "OutboxState"; ANALYZE "OutboxMessage";""", connection))
            await analyze.ExecuteNonQueryAsync();
        return clock.Elapsed;
    }

    /// <summary>Messages still in the outbox table.</summary>
    static async Task<long> CountOutboxAsync(string connectionString)
    {
        var options = new DbContextOptionsBuilder<BenchDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new BenchDbContext(options);
        return await db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"OutboxMessage\"").SingleAsync();
    }

    /// <summary>
    /// The relay process: one for the whole run, so it is as warm (jitted, tiered up) as a long-running relay; it hosts one
    /// configuration run's database at a time.
    /// </summary>
    async Task<RelayChild> RelayAsync() => _relay ??= await RelayChild.StartAsync(options.Tuning);

    public async ValueTask DisposeAsync()
    {
        if (_relay is not null)
            await _relay.DisposeAsync();
        _meter.Dispose();
        _logs.Dispose();
    }

    sealed class Cleanup(Func<Task> action) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await action();
    }
}
