using System.Data;
using System.Text.Json;
using Campaign.Outbox.Configuration;
using MassTransit;
using MassTransit.Logging;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Delivers committed bus-outbox messages to the broker. Each pass claims many units of work at once
/// (<c>FOR UPDATE SKIP LOCKED</c>, ReadCommitted, so several instances share the work without serialization failures),
/// sends them concurrently with publisher confirms (in order within a unit of work), and deletes in bulk only what
/// the broker confirmed, in the same transaction that holds the claim. Wakes on commit (in-process signal, and
/// LISTEN/NOTIFY for every other instance); polls as a fallback.
/// </summary>
public sealed partial class OutboxRelay<TDbContext>(
    IServiceScopeFactory scopeFactory,
    IBusControl bus,
    OutboxSignal<TDbContext> signal,
    OutboxBacklogReader<TDbContext> backlogReader,
    EntityFrameworkOutboxOptions<TDbContext> options,
    OutboxMetrics metrics,
    TimeProvider clock,
    ILogger<OutboxRelay<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    static readonly string ContextName = typeof(TDbContext).Name;
    OutboxTables? _tables;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Each loop on its own task: a listener that blocks while connecting must not hold back the delivery workers.
        var tasks = new List<Task>
        {
            Task.Run(() => ListenAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => ReportBacklogAsync(stoppingToken), CancellationToken.None),
        };
        for (var i = 0; i < options.DeliveryConcurrency; i++)
            tasks.Add(Task.Run(() => DeliverAsync(stoppingToken), CancellationToken.None));
        return Task.WhenAll(tasks);
    }

    async Task DeliverAsync(CancellationToken stoppingToken)
    {
        var troubleDelay = TimeSpan.Zero;

        // The bus starts after the hosted services: waiting for it the first time is not worth a warning.
        try
        {
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (bus.CheckHealth().Status != BusHealthStatus.Healthy)
                {
                    LogPaused(logger, ContextName);
                    await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
                    LogResumed(logger, ContextName);
                }

                var wake = signal.Next;
                var pass = await RunPassAsync(stoppingToken);

                if (pass.BrokerTrouble)
                {
                    // Not the messages' fault: wait for the broker, count no attempts.
                    troubleDelay = NextDelay(troubleDelay);
                    await Task.Delay(troubleDelay, clock, stoppingToken);
                    continue;
                }

                troubleDelay = TimeSpan.Zero;
                if (pass.Claimed >= options.QueryMessageLimit)
                    continue;

                var wait = options.QueryDelay;
                if (pass.NextRetry is { } retry)
                {
                    var untilRetry = retry - clock.GetUtcNow().UtcDateTime;
                    if (untilRetry < wait)
                        wait = untilRetry;
                }
                if (wait > TimeSpan.Zero)
                    await wake.WaitAsync(wait, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the host failed to start or is gone: nothing left to relay for
            }
            catch (Exception exception)
            {
                troubleDelay = NextDelay(troubleDelay);
                LogPassFailed(logger, exception, ContextName, troubleDelay.TotalSeconds);
                await Task.Delay(troubleDelay, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One claim-send-delete pass; returns what it claimed. Public so tests and tools can drive the relay step by step.</summary>
    public async Task<RelayPass> RunPassAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        _tables ??= OutboxTables.For(dbContext);

        await dbContext.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)dbContext.Database.GetDbConnection();
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        // One instant for the claim and the look-ahead below: with two readings, an outbox falling due between them
        // (a timer fires a fraction of a millisecond early) was neither claimed nor seen as coming, and waited for the poll.
        var now = clock.GetUtcNow().UtcDateTime;
        var outboxes = await ClaimAsync(connection, transaction, now, cancellationToken);
        if (outboxes.Count == 0)
        {
            // Nothing due; an outbox backing off (failed here or in another instance) decides when to look again.
            await using var due = new NpgsqlCommand(
                $"""SELECT min("NextAttemptAt") FROM {_tables.OutboxState} WHERE "Parked" IS NULL AND "NextAttemptAt" > $1""",
                connection, transaction) { Parameters = { new NpgsqlParameter { Value = now } } };
            var nextDue = await due.ExecuteScalarAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new RelayPass(0, 0, false, nextDue is DateTime next ? DateTime.SpecifyKind(next, DateTimeKind.Utc) : null);
        }

        // Sends are not cancelled by shutdown: a pass in flight finishes and records what the broker confirmed.
        await Task.WhenAll(outboxes.Select(SendAsync));

        var nextRetry = await RecordAsync(connection, transaction, outboxes);
        await transaction.CommitAsync(CancellationToken.None);

        var delivered = outboxes.Sum(o => o.Sent.Count);
        if (delivered > 0)
            metrics.Delivered(ContextName, delivered);
        return new RelayPass(outboxes.Count, delivered, outboxes.Any(o => o.BrokerTrouble), nextRetry);
    }

    async Task<List<ClaimedOutbox>> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTime now,
        CancellationToken cancellationToken)
    {
        var sql = $"""
            WITH claimed AS (
                SELECT "OutboxId", "Created", "DeliveryAttempts" FROM {_tables!.OutboxState}
                WHERE "Parked" IS NULL AND ("NextAttemptAt" IS NULL OR "NextAttemptAt" <= $1)
                ORDER BY "Created"
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            SELECT c."OutboxId", c."Created", c."DeliveryAttempts",
                   m."SequenceNumber", m."MessageId", m."ConversationId", m."CorrelationId", m."InitiatorId", m."RequestId",
                   m."SourceAddress", m."DestinationAddress", m."ResponseAddress", m."FaultAddress", m."ExpirationTime",
                   m."SentTime", m."Headers", m."Properties", m."ContentType", m."MessageType", m."Body"
            FROM claimed c
            LEFT JOIN LATERAL (
                SELECT * FROM {_tables.OutboxMessage} x WHERE x."OutboxId" = c."OutboxId"
                ORDER BY x."SequenceNumber" LIMIT $3) m ON true
            ORDER BY c."Created", c."OutboxId", m."SequenceNumber"
            """;
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.CommandTimeout = (int)options.QueryTimeout.TotalSeconds;
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = options.QueryMessageLimit });
        command.Parameters.Add(new NpgsqlParameter { Value = options.MessageDeliveryLimit });

        var outboxes = new List<ClaimedOutbox>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var outboxId = reader.GetGuid(0);
            if (outboxes.Count == 0 || outboxes[^1].OutboxId != outboxId)
                outboxes.Add(new ClaimedOutbox(outboxId, reader.GetDateTime(1), reader.GetInt32(2)));
            if (reader.IsDBNull(3))
                continue;

            outboxes[^1].Messages.Add(new OutboxMessage
            {
                OutboxId = outboxId,
                SequenceNumber = reader.GetInt64(3),
                MessageId = reader.GetGuid(4),
                ConversationId = NullableGuid(reader, 5),
                CorrelationId = NullableGuid(reader, 6),
                InitiatorId = NullableGuid(reader, 7),
                RequestId = NullableGuid(reader, 8),
                SourceAddress = NullableUri(reader, 9),
                DestinationAddress = NullableUri(reader, 10),
                ResponseAddress = NullableUri(reader, 11),
                FaultAddress = NullableUri(reader, 12),
                ExpirationTime = reader.IsDBNull(13) ? null : reader.GetDateTime(13),
                SentTime = reader.GetDateTime(14),
                Headers = reader.IsDBNull(15) ? null : reader.GetString(15),
                Properties = reader.IsDBNull(16) ? null : reader.GetString(16),
                ContentType = reader.GetString(17),
                MessageType = reader.GetString(18),
                Body = reader.GetString(19),
            });
        }
        return outboxes;
    }

    async Task SendAsync(ClaimedOutbox outbox)
    {
        foreach (var message in outbox.Messages)
        {
            try
            {
                message.Deserialize(SystemTextJsonMessageSerializer.Instance);

                // A body that cannot be read is the message's fault: find out before the transport is involved,
                // so it is counted against its outbox and not mistaken for a slow broker.
                if (message.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase))
                    JsonDocument.Parse(message.Body).Dispose();

                var destination = message.DestinationAddress
                    ?? throw new InvalidOperationException("The stored message has no valid destination address.");
                var endpoint = await bus.GetSendEndpoint(destination);

                // A span per delivery, parented by the trace context stored with the message: it joins the producer's trace.
                var activity = LogContext.Current?.StartOutboxDeliverActivity(message);
                try
                {
                    using var timeout = new CancellationTokenSource(options.MessageDeliveryTimeout);
                    await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, destination), timeout.Token);
                }
                catch (Exception exception)
                {
                    activity?.AddExceptionEvent(exception);
                    throw;
                }
                finally
                {
                    activity?.Stop();
                }

                outbox.Sent.Add(message.SequenceNumber);
                metrics.Lag(ContextName, clock.GetUtcNow().UtcDateTime - outbox.Created);
            }
            catch (Exception exception)
            {
                outbox.Failure = exception;
                outbox.BrokerTrouble = DeliveryFailure.IsBrokerTrouble(exception) || bus.CheckHealth().Status != BusHealthStatus.Healthy;
                metrics.Failed(ContextName, outbox.BrokerTrouble ? "broker" : "message");
                return; // order within a unit of work: nothing after a failed message is sent
            }
        }
    }

    /// <summary>Deletes what was confirmed; books failures (back-off, then parking). One round trip.</summary>
    async Task<DateTime?> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<ClaimedOutbox> outboxes)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? nextRetry = null;
        await using var batch = new NpgsqlBatch(connection, transaction) { Timeout = (int)options.QueryTimeout.TotalSeconds };

        var sent = outboxes.SelectMany(o => o.Sent).ToArray();
        if (sent.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""DELETE FROM {_tables!.OutboxMessage} WHERE "SequenceNumber" = ANY($1)""")
            {
                Parameters = { new NpgsqlParameter { Value = sent } },
            });
        }

        var finished = outboxes.Where(o => o.Failure is null && o.Messages.Count < options.MessageDeliveryLimit).Select(o => o.OutboxId).ToArray();
        if (finished.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""DELETE FROM {_tables!.OutboxState} WHERE "OutboxId" = ANY($1)""")
            {
                Parameters = { new NpgsqlParameter { Value = finished } },
            });
        }

        foreach (var outbox in outboxes.Where(o => o is { Failure: not null, BrokerTrouble: false }))
        {
            var attempts = outbox.DeliveryAttempts + 1;
            var parked = attempts >= options.MaxDeliveryAttempts;
            var retryAt = now + Backoff(attempts);
            if (!parked && (nextRetry is null || retryAt < nextRetry))
                nextRetry = retryAt;

            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                UPDATE {_tables!.OutboxState}
                SET "DeliveryAttempts" = $2, "NextAttemptAt" = $3, "LastError" = $4, "Parked" = $5
                WHERE "OutboxId" = $1
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter { Value = outbox.OutboxId },
                    new NpgsqlParameter { Value = attempts },
                    new NpgsqlParameter { Value = retryAt },
                    new NpgsqlParameter { Value = DeliveryFailure.Describe(outbox.Failure!) },
                    new NpgsqlParameter { Value = parked ? now : DBNull.Value },
                },
            });

            if (parked)
                LogParked(logger, ContextName, outbox.OutboxId, attempts, outbox.Failure!.GetType().Name);
            else
                LogAttemptFailed(logger, outbox.Failure, ContextName, outbox.OutboxId, attempts);
        }

        if (batch.BatchCommands.Count > 0)
            await batch.ExecuteNonQueryAsync(CancellationToken.None);
        return nextRetry;
    }

    /// <summary>LISTENs on the channel the outbox trigger notifies; every commit anywhere wakes this instance.</summary>
    async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                string connectionString;
                await using (var scope = scopeFactory.CreateAsyncScope())
                {
                    connectionString = scope.ServiceProvider.GetRequiredService<TDbContext>().Database.GetConnectionString()
                        ?? throw new InvalidOperationException($"{ContextName} has no connection string to LISTEN with.");
                }

                // Keepalives make a dead server visible, so the listener reconnects instead of waiting forever. Not pooled: a
                // LISTEN connection returned half-broken by a stopped relay stalled the next one's LISTEN for 17-30 s.
                var builder = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 10, Enlist = false, Pooling = false };
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, _) => signal.Wake();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{options.NotificationChannel}\"", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);

                // Whatever committed while nobody listened is picked up now.
                signal.Wake();
                delay = TimeSpan.Zero;
                while (true)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the host failed to start or is gone: nothing left to relay for
            }
            catch (Exception exception)
            {
                delay = NextDelay(delay);
                LogListenerLost(logger, exception, ContextName, delay.TotalSeconds);
                await Task.Delay(delay, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    async Task ReportBacklogAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.Report(ContextName, await backlogReader.ReadAsync(stoppingToken));
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogBacklogFailed(logger, exception, ContextName);
            }
            await Task.Delay(options.BacklogRefreshInterval, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    TimeSpan Backoff(int attempts)
    {
        var exponential = options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 20));
        var capped = Math.Min(exponential, options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    static TimeSpan NextDelay(TimeSpan previous)
    {
        var next = previous == TimeSpan.Zero ? TimeSpan.FromMilliseconds(250) : previous * 2;
        if (next > TimeSpan.FromSeconds(15))
            next = TimeSpan.FromSeconds(15);
        return next * (0.75 + Random.Shared.NextDouble() * 0.5);
    }

    static Guid? NullableGuid(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    static Uri? NullableUri(NpgsqlDataReader reader, int ordinal) =>
        !reader.IsDBNull(ordinal) && Uri.TryCreate(reader.GetString(ordinal), UriKind.Absolute, out var uri) ? uri : null;

    sealed class ClaimedOutbox(Guid outboxId, DateTime created, int deliveryAttempts)
    {
        public Guid OutboxId { get; } = outboxId;
        public DateTime Created { get; } = DateTime.SpecifyKind(created, DateTimeKind.Utc);
        public int DeliveryAttempts { get; } = deliveryAttempts;
        public List<OutboxMessage> Messages { get; } = [];
        public List<long> Sent { get; } = [];
        public Exception? Failure { get; set; }
        public bool BrokerTrouble { get; set; }
    }

    [LoggerMessage(LogLevel.Warning, "Outbox relay for {DbContext} paused: the bus is not healthy (broker down?). It resumes by itself.")]
    static partial void LogPaused(ILogger logger, string dbContext);

    [LoggerMessage(LogLevel.Information, "Outbox relay for {DbContext} resumed: the bus is healthy.")]
    static partial void LogResumed(ILogger logger, string dbContext);

    [LoggerMessage(LogLevel.Warning, "Outbox relay pass for {DbContext} failed; next try in {DelaySeconds:0.0} s.")]
    static partial void LogPassFailed(ILogger logger, Exception exception, string dbContext, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Outbox {OutboxId} of {DbContext} failed delivery attempt {Attempts}; it will be retried after a back-off.")]
    static partial void LogAttemptFailed(ILogger logger, Exception? exception, string dbContext, Guid outboxId, int attempts);

    [LoggerMessage(LogLevel.Error, "Outbox {OutboxId} of {DbContext} parked after {Attempts} failed attempts ({ErrorType}). Other outboxes keep flowing; release it once fixed.")]
    static partial void LogParked(ILogger logger, string dbContext, Guid outboxId, int attempts, string errorType);

    [LoggerMessage(LogLevel.Warning, "Outbox listener for {DbContext} lost its connection; polling until it reconnects in {DelaySeconds:0.0} s.")]
    static partial void LogListenerLost(ILogger logger, Exception exception, string dbContext, double delaySeconds);

    [LoggerMessage(LogLevel.Debug, "Could not read the outbox backlog of {DbContext}.")]
    static partial void LogBacklogFailed(ILogger logger, Exception exception, string dbContext);
}

/// <summary>What one relay pass did.</summary>
/// <param name="Claimed">Units of work claimed.</param>
/// <param name="Delivered">Messages the broker confirmed.</param>
/// <param name="BrokerTrouble">A send failed because of the broker, not the message.</param>
/// <param name="NextRetry">When the earliest failed unit of work may be tried again.</param>
public sealed record RelayPass(int Claimed, int Delivered, bool BrokerTrouble, DateTime? NextRetry);
