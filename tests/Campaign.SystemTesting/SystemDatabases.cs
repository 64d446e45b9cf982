using Campaign.Testing;
using Npgsql;

namespace Campaign.SystemTesting;

/// <summary>
/// Reads each service's own database: what a test counts. Every query opens and closes its own connection (no pool), so
/// it works across server restarts.
/// It connects as the service's own role (<c>ConnectionStrings__&lt;Service&gt;</c>, the tables' owner): the admin role of
/// <c>CAMPAIGN_PG_ADMIN</c> may connect to the service databases but is not granted SELECT on their tables.
/// </summary>
public static class SystemDatabases
{
    /// <summary>The connection string of <paramref name="service"/>'s database (its own role, no pooling).</summary>
    public static string ConnectionString(Service service) =>
        new NpgsqlConnectionStringBuilder(TestInfrastructure.Get($"ConnectionStrings__{service}")) { Pooling = false }.ConnectionString;

    /// <summary>The first column of the first row of <paramref name="sql"/>, parameters <c>$1, $2, ...</c>.</summary>
    public static async Task<T> ScalarAsync<T>(Service service, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary><c>SELECT count(*) FROM "<paramref name="table"/>" [WHERE <paramref name="where"/>]</c>.</summary>
    public static Task<long> CountAsync(Service service, string table, string? where = null, params object[] parameters) =>
        ScalarAsync<long>(service, $"""SELECT count(*) FROM "{table}" {(where is null ? "" : "WHERE " + where)}""", parameters);

    /// <summary>Messages still in the service's outbox (delivered ones are deleted).</summary>
    public static Task<long> OutboxMessagesAsync(Service service) => CountAsync(service, "OutboxMessage");

    /// <summary>Units of work of the bus outbox not delivered yet (parked ones included).</summary>
    public static Task<long> OutboxStatesAsync(Service service) => CountAsync(service, "OutboxState");

    /// <summary>Outboxes the relay gave up on until an operator releases them.</summary>
    public static Task<long> ParkedOutboxesAsync(Service service) => CountAsync(service, "OutboxState", "\"Parked\" IS NOT NULL");

    /// <summary>Inbox rows (one per consumed message and consumer), optionally of one message.</summary>
    public static Task<long> InboxStatesAsync(Service service, Guid? messageId = null) =>
        messageId is { } id ? CountAsync(service, "InboxState", "\"MessageId\" = $1", id) : CountAsync(service, "InboxState");

    /// <summary>VolunteerCoordinator's thank-you call tasks for a donor.</summary>
    public static Task<long> ThankYouCallsAsync(Guid donorId) =>
        CountAsync(Service.VolunteerCoordinator, "ThankYouCalls", "\"DonorId\" = $1", donorId);

    /// <summary>Communications' outbound messages to a recipient (case-insensitive), optionally of one kind and status.</summary>
    public static Task<long> OutboundMessagesAsync(string recipient, string? kind = null, string? status = null)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return CountAsync(Service.Communications, "OutboundMessages",
            "\"NormalizedRecipient\" = $1 AND ($2::text IS NULL OR \"Kind\" = $2) AND ($3::text IS NULL OR \"Status\" = $3)",
            recipient.Trim().ToUpperInvariant(), (object?)kind ?? DBNull.Value, (object?)status ?? DBNull.Value);
    }

    /// <summary>Communications' outbound messages whose recipient ends with <paramref name="suffix"/> (a run's email domain), by status.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> OutboundMessagesByStatusAsync(string suffix)
    {
        ArgumentNullException.ThrowIfNull(suffix);
        await using var connection = new NpgsqlConnection(ConnectionString(Service.Communications));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """SELECT "Status", count(*) FROM "OutboundMessages" WHERE "NormalizedRecipient" LIKE '%' || $1 GROUP BY "Status" """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = suffix.ToUpperInvariant() });
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }
}
