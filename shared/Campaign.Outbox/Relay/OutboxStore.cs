using System.Diagnostics;
using Campaign.Outbox.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Campaign.Outbox.Relay;

/// <summary>
/// The relay's SQL: claims units of work with a lease and records what the broker confirmed. No transaction stays open
/// while messages are sent: the claim is one statement that leases the units (<c>LockId</c>, and <c>NextAttemptAt</c> as
/// the lease's end), the record one batch that deletes what was confirmed and only touches units still leased by the same
/// pass. A relay that dies leaves its lease to expire. Every time is the database's clock; table and column names come
/// from the EF model.
/// </summary>
public sealed class OutboxStore<TDbContext>(
    IServiceScopeFactory scopeFactory,
    EntityFrameworkOutboxOptions<TDbContext> options,
    OutboxMetrics metrics,
    TimeProvider clock)
    where TDbContext : DbContext
{
    static readonly string ContextName = typeof(TDbContext).Name;
    static readonly string[] MessageColumns =
    [
        nameof(OutboxMessage.SequenceNumber), nameof(OutboxMessage.MessageId), nameof(OutboxMessage.ConversationId),
        nameof(OutboxMessage.CorrelationId), nameof(OutboxMessage.InitiatorId), nameof(OutboxMessage.RequestId),
        nameof(OutboxMessage.SourceAddress), nameof(OutboxMessage.DestinationAddress), nameof(OutboxMessage.ResponseAddress),
        nameof(OutboxMessage.FaultAddress), nameof(OutboxMessage.ExpirationTime), nameof(OutboxMessage.SentTime),
        nameof(OutboxMessage.Headers), nameof(OutboxMessage.Properties), nameof(OutboxMessage.ContentType),
        nameof(OutboxMessage.MessageType), nameof(OutboxMessage.Body),
    ];

    (OutboxTables, string)? _connection;
    string? _claimSql;

    /// <summary>
    /// Leases the next due units of work (oldest first; a unit whose ordering key has an older unit waiting is not due) and
    /// loads their messages in order, within the pass's budget of messages and bytes. A unit that did not fit is not leased.
    /// <paramref name="previous"/>, the last pass's record, goes in the same round trip, ahead of the claim (and in its
    /// implicit transaction): at moderate rates a relay that passes back to back makes one round trip per pass, not two.
    /// When nothing is due the same statement says when the earliest unit backing off, leased or scheduled falls due.
    /// A scheduled unit (its <c>Created</c> is its due time, on this host's <see cref="TimeProvider"/>) is due once that clock
    /// or the database's reaches it: the relay of a test that steps its clock delivers it, and a slow host clock delays nothing.
    /// </summary>
    public async Task<OutboxClaim> ClaimAsync(Guid lockId, OutboxRecord? previous, CancellationToken cancellationToken)
    {
        var (connection, tables) = await OpenAsync(cancellationToken);
        await using var _ = connection;
        _claimSql ??= ClaimSql(tables);

        await using var batch = new NpgsqlBatch(connection) { Timeout = (int)options.QueryTimeout.TotalSeconds };
        if (previous is not null)
            AddRecord(batch, tables, previous);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(_claimSql)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = options.QueryMessageLimit },
                new NpgsqlParameter { Value = options.MessageDeliveryLimit },
                new NpgsqlParameter { Value = (long)options.MaxMessagesPerPass },
                new NpgsqlParameter { Value = options.MaxBytesPerPass },
                new NpgsqlParameter { Value = lockId },
                new NpgsqlParameter { Value = options.LeaseDuration },
                new NpgsqlParameter { Value = clock.GetUtcNow().UtcDateTime },
            },
        });

        metrics.RoundTrip(ContextName, "claim");
        var claimed = Stopwatch.GetTimestamp();
        var units = new List<ClaimedOutbox>();
        TimeSpan? nextDueIn = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // The record's commands return no rows: the first result is the claim's.
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsDBNull(0))
                {
                    // Nothing due: the one row says when to look again, if anything is waiting at all.
                    nextDueIn = reader.IsDBNull(5) ? null : reader.GetTimeSpan(5);
                    break;
                }
                var outboxId = reader.GetGuid(0);
                if (units.Count == 0 || units[^1].OutboxId != outboxId)
                {
                    units.Add(new ClaimedOutbox(outboxId, reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                        reader.GetTimeSpan(3), claimed) { HasMore = reader.GetBoolean(4) });
                }
                if (!reader.IsDBNull(6))
                    units[^1].Messages.Add(ReadMessage(reader, outboxId, 6));
            }
        }
        return new OutboxClaim(units, nextDueIn);
    }

    static string ClaimSql(OutboxTables tables)
    {
        var s = tables.OutboxState;
        var m = tables.OutboxMessage;
        var messageColumns = string.Join(", ", MessageColumns.Select(c => $"x.{m[c]}"));
        var pickedColumns = string.Join(", ", MessageColumns.Select(c => $"p.{m[c]}"));

        // due: units due now, oldest first, skipping any another pass is claiming (a unit written leased to its process's relay,
        //      to be sent from memory, is due only when that lease has run out, counted from Created); a keyed unit only when no older unit with its
        //      key is still there (delivering, backing off or parked), so one key's units leave in order, across relays too.
        //      A scheduled unit stands in line from its due time (Created): the bound ends the index scan there, so units
        //      scheduled for later cost a claim nothing.
        // loaded: their first messages, numbered and summed in delivery order; picked: the prefix that fits the budget (the
        //      first message always does, so one large message cannot stall the outbox).
        // leased: every unit with a picked message, or none at all (emptied earlier), is leased to this pass.
        // Each row says whether its unit has messages beyond this pass (cut by the per-unit limit or by the budget). With
        //      nothing picked, one row of NULLs says instead when the earliest unit not due now falls due (the look-ahead is
        //      only evaluated then; both of its halves are bounded on Created, so units scheduled for later are not scanned).
        return $"""
            WITH due AS (
                SELECT s.{s["OutboxId"]} AS id, s.{s["Created"]} AS created, s.{s["DeliveryAttempts"]} AS attempts,
                       s.{s["OrderingKey"]} AS key
                FROM {s} s
                WHERE s.{s["Parked"]} IS NULL AND s.{s["Created"]} <= greatest($7, statement_timestamp())
                  AND (s.{s["NextAttemptAt"]} <= clock_timestamp() OR s.{s["NextAttemptAt"]} IS NULL
                       AND (s.{s["LockId"]} = '{Guid.Empty}' OR s.{s["Created"]} <= clock_timestamp() - $6))
                  AND (s.{s["OrderingKey"]} IS NULL OR NOT EXISTS (
                      SELECT FROM {s} e WHERE e.{s["OrderingKey"]} = s.{s["OrderingKey"]}
                        AND (e.{s["Created"]}, e.{s["OutboxId"]}) < (s.{s["Created"]}, s.{s["OutboxId"]})))
                ORDER BY s.{s["Created"]}, s.{s["OutboxId"]}
                LIMIT $1
                FOR UPDATE OF s SKIP LOCKED),
            loaded AS (
                SELECT d.id, d.created, d.attempts, d.key, x.*,
                       count(*) OVER w AS n, sum(coalesce(octet_length(x.{m["Body"]}), 0)) OVER w AS bytes,
                       count(*) OVER (PARTITION BY d.id) AS unit_loaded
                FROM due d LEFT JOIN LATERAL (
                    SELECT {messageColumns} FROM {m} x WHERE x.{m["OutboxId"]} = d.id ORDER BY x.{m["SequenceNumber"]} LIMIT $2) x ON true
                WINDOW w AS (ORDER BY d.created, d.id, x.{m["SequenceNumber"]} ROWS UNBOUNDED PRECEDING)),
            picked AS (
                SELECT * FROM loaded WHERE n = 1 OR (n <= $3 AND bytes <= $4)),
            leased AS (
                UPDATE {s} s SET {s["LockId"]} = $5, {s["NextAttemptAt"]} = clock_timestamp() + $6
                WHERE s.{s["OutboxId"]} IN (SELECT id FROM picked)
                RETURNING s.{s["OutboxId"]})
            SELECT p.id, p.attempts, p.key, clock_timestamp() - p.created,
                   p.unit_loaded >= $2 OR p.unit_loaded > count(*) OVER (PARTITION BY p.id),
                   CASE WHEN p.id IS NULL THEN least(
                       (SELECT min(coalesce({s["NextAttemptAt"]}, {s["Created"]} + $6)) - clock_timestamp() FROM {s}
                        WHERE {s["Parked"]} IS NULL AND {s["Created"]} <= greatest($7, statement_timestamp())
                          AND ({s["NextAttemptAt"]} > clock_timestamp()
                           OR {s["NextAttemptAt"]} IS NULL AND {s["LockId"]} <> '{Guid.Empty}' AND {s["Created"]} > clock_timestamp() - $6)),
                       (SELECT min({s["Created"]}) - greatest($7, statement_timestamp()) FROM {s}
                        WHERE {s["Parked"]} IS NULL AND {s["Created"]} > greatest($7, statement_timestamp()))) END,
                   {pickedColumns}
            FROM (VALUES (1)) one (x) LEFT JOIN picked p ON true
            ORDER BY p.created, p.id, p.{m["SequenceNumber"]}
            """;
    }

    /// <summary>Writes a pass's record in a round trip of its own (when no claim follows at once to carry it).</summary>
    public async Task RecordAsync(OutboxRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (connection, tables) = await OpenAsync(CancellationToken.None);
        await using var _ = connection;
        await using var batch = new NpgsqlBatch(connection) { Timeout = (int)options.QueryTimeout.TotalSeconds };
        AddRecord(batch, tables, record);
        if (batch.BatchCommands.Count == 0)
            return;
        metrics.RoundTrip(ContextName, "record");
        await batch.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>
    /// Deletes the confirmed messages and the units left empty, makes units with messages left due again at once, books
    /// message faults (back-off, then parking), and hands units that met broker trouble back without counting an attempt.
    /// Only units still leased by the record's pass are touched: one whose lease ran out belongs to whoever took it.
    /// </summary>
    static void AddRecord(NpgsqlBatch batch, OutboxTables tables, OutboxRecord record)
    {
        var s = tables.OutboxState;
        var m = tables.OutboxMessage;
        var (lockId, units, faults) = (record.LockId, record.Units, record.Faults);

        var sent = units.SelectMany(u => u.Sent).ToArray();
        if (sent.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM {m} WHERE {m["SequenceNumber"]} = ANY($1)")
            {
                Parameters = { new NpgsqlParameter { Value = sent } },
            });
        }

        // NOT EXISTS: a unit is deleted only once its last message is (a safety net; HasMore already says which are done).
        var done = units.Where(u => u is { Failure: null, HasMore: false }).Select(u => u.OutboxId).ToArray();
        if (done.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                DELETE FROM {s} s WHERE s.{s["OutboxId"]} = ANY($1) AND s.{s["LockId"]} = $2
                  AND NOT EXISTS (SELECT FROM {m} x WHERE x.{m["OutboxId"]} = s.{s["OutboxId"]})
                """)
            {
                Parameters = { new NpgsqlParameter { Value = done }, new NpgsqlParameter { Value = lockId } },
            });
        }

        // Units with messages left (they did not fit the pass), and units that met broker trouble: due again now.
        var release = units.Where(u => u is { Failure: null, HasMore: true } || u.BrokerTrouble).Select(u => u.OutboxId).ToArray();
        if (release.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"UPDATE {s} SET {s["NextAttemptAt"]} = NULL, {s["LockId"]} = '{Guid.Empty}' WHERE {s["OutboxId"]} = ANY($1) AND {s["LockId"]} = $2")
            {
                Parameters = { new NpgsqlParameter { Value = release }, new NpgsqlParameter { Value = lockId } },
            });
        }

        foreach (var (unit, retryIn, park) in faults)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                UPDATE {s} SET {s["DeliveryAttempts"]} = $2, {s["NextAttemptAt"]} = clock_timestamp() + $3, {s["LastError"]} = $4,
                    {s["Parked"]} = CASE WHEN $5 THEN clock_timestamp() END
                WHERE {s["OutboxId"]} = $1 AND {s["LockId"]} = $6
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter { Value = unit.OutboxId },
                    new NpgsqlParameter { Value = unit.DeliveryAttempts + 1 },
                    new NpgsqlParameter { Value = retryIn },
                    new NpgsqlParameter { Value = DeliveryFailure.Describe(unit.Failure!) },
                    new NpgsqlParameter { Value = park },
                    new NpgsqlParameter { Value = lockId },
                },
            });
        }
    }

    /// <summary>
    /// An open pooled connection (the same pool as the DbContext's) and the model's names; the names and the connection string are
    /// read once, so a round trip costs no DI scope and no DbContext.
    /// </summary>
    async Task<(NpgsqlConnection, OutboxTables)> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is not { } known)
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
            var connectionString = dbContext.Database.GetConnectionString()
                ?? throw new InvalidOperationException($"{ContextName} has no connection string for the outbox relay.");
            _connection = known = (OutboxTables.For(dbContext), connectionString);
        }
        var connection = new NpgsqlConnection(known.Item2);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return (connection, known.Item1);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    static OutboxMessage ReadMessage(NpgsqlDataReader reader, Guid outboxId, int first) => new()
    {
        OutboxId = outboxId,
        SequenceNumber = reader.GetInt64(first),
        MessageId = reader.GetGuid(first + 1),
        ConversationId = NullableGuid(reader, first + 2),
        CorrelationId = NullableGuid(reader, first + 3),
        InitiatorId = NullableGuid(reader, first + 4),
        RequestId = NullableGuid(reader, first + 5),
        SourceAddress = NullableUri(reader, first + 6),
        DestinationAddress = NullableUri(reader, first + 7),
        ResponseAddress = NullableUri(reader, first + 8),
        FaultAddress = NullableUri(reader, first + 9),
        ExpirationTime = reader.IsDBNull(first + 10) ? null : reader.GetDateTime(first + 10),
        SentTime = reader.GetDateTime(first + 11),
        Headers = reader.IsDBNull(first + 12) ? null : reader.GetString(first + 12),
        Properties = reader.IsDBNull(first + 13) ? null : reader.GetString(first + 13),
        ContentType = reader.GetString(first + 14),
        MessageType = reader.GetString(first + 15),
        Body = reader.GetString(first + 16),
    };

    static Guid? NullableGuid(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    static Uri? NullableUri(NpgsqlDataReader reader, int ordinal) =>
        !reader.IsDBNull(ordinal) && Uri.TryCreate(reader.GetString(ordinal), UriKind.Absolute, out var uri) ? uri : null;
}

/// <summary>What one claim leased, and when the earliest unit not due now falls due (database clock, as a wait from now).</summary>
public sealed record OutboxClaim(IReadOnlyList<ClaimedOutbox> Units, TimeSpan? NextDueIn);

/// <summary>What a pass leaves to record: the units it leased under <paramref name="LockId"/> and the faults it met.</summary>
public sealed record OutboxRecord(Guid LockId, IReadOnlyList<ClaimedOutbox> Units, IReadOnlyList<(ClaimedOutbox Unit, TimeSpan RetryIn, bool Park)> Faults);

/// <summary>A leased unit of work with the messages loaded for this pass, and what became of them.</summary>
public sealed class ClaimedOutbox(Guid outboxId, int deliveryAttempts, string? orderingKey, TimeSpan ageAtClaim, long claimedAt)
{
    public Guid OutboxId { get; } = outboxId;
    public int DeliveryAttempts { get; } = deliveryAttempts;
    public string? OrderingKey { get; } = orderingKey;
    public List<OutboxMessage> Messages { get; } = [];
    public List<long> Sent { get; } = [];
    public Exception? Failure { get; set; }
    public bool BrokerTrouble { get; set; }

    /// <summary>The unit has messages this pass did not load: it stays, due again at once.</summary>
    public bool HasMore { get; init; }

    /// <summary>Since the unit of work was written, on the database's clock at the claim and this host's monotonic clock since.</summary>
    public TimeSpan Age => ageAtClaim + Stopwatch.GetElapsedTime(claimedAt);
}
