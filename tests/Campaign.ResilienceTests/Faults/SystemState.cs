using Campaign.SystemTesting;
using Npgsql;

namespace Campaign.ResilienceTests.Faults;

/// <summary>What the three databases hold about one run (its email domain), read with the admin role after the faults.</summary>
public sealed class SystemState
{
    /// <summary>Donor id -> (email, secured).</summary>
    public Dictionary<Guid, (string Email, bool Secured)> Donors { get; } = [];

    public Dictionary<Guid, int> ContributionsPerDonor { get; } = [];

    /// <summary>Volunteer id -> email.</summary>
    public Dictionary<Guid, string> Volunteers { get; } = [];

    /// <summary>VolunteerCoordinator: thank-you calls per donor id (of this run's donors).</summary>
    public Dictionary<Guid, int> CallsPerDonor { get; } = [];

    /// <summary>Communications: outbound messages per (kind, source key), with how many are sent.</summary>
    public Dictionary<(string Kind, string Key), (int Count, int Sent)> Messages { get; } = [];

    /// <summary>Communications: outbound messages per recipient (upper case).</summary>
    public Dictionary<string, int> MessagesPerRecipient { get; } = [];

    public static async Task<SystemState> ReadAsync(string domain)
    {
        var state = new SystemState();
        var like = "%@" + domain;
        await using (var finance = await OpenAsync(Service.CampaignFinance))
        {
            await using (var reader = await Query(finance, """SELECT "Id", "Email", "SecuredAt" IS NOT NULL FROM "Donors" WHERE "NormalizedEmail" LIKE $1""", like.ToLowerInvariant()))
            {
                while (await reader.ReadAsync())
                    state.Donors[reader.GetGuid(0)] = (reader.GetString(1), reader.GetBoolean(2));
            }
            await using (var reader = await Query(finance, """
                SELECT c."DonorId", count(*)::int FROM "Contributions" c JOIN "Donors" d ON d."Id" = c."DonorId"
                WHERE d."NormalizedEmail" LIKE $1 GROUP BY c."DonorId"
                """, like.ToLowerInvariant()))
            {
                while (await reader.ReadAsync())
                    state.ContributionsPerDonor[reader.GetGuid(0)] = reader.GetInt32(1);
            }
        }

        await using (var volunteers = await OpenAsync(Service.VolunteerCoordinator))
        {
            await using (var reader = await Query(volunteers, """SELECT "Id", "Email" FROM "Volunteers" WHERE "NormalizedEmail" LIKE $1""", like.ToUpperInvariant()))
            {
                while (await reader.ReadAsync())
                    state.Volunteers[reader.GetGuid(0)] = reader.GetString(1);
            }
            await using (var reader = await Query(volunteers, """SELECT "DonorId", count(*)::int FROM "ThankYouCalls" WHERE "DonorId" = ANY($1) GROUP BY "DonorId" """,
                state.Donors.Keys.ToArray()))
            {
                while (await reader.ReadAsync())
                    state.CallsPerDonor[reader.GetGuid(0)] = reader.GetInt32(1);
            }
        }

        await using (var communications = await OpenAsync(Service.Communications))
        await using (var reader = await Query(communications, """
            SELECT "Kind", "SourceEventKey", "NormalizedRecipient", "Status" FROM "OutboundMessages" WHERE "NormalizedRecipient" LIKE $1
            """, like.ToUpperInvariant()))
        {
            while (await reader.ReadAsync())
            {
                var key = (reader.GetString(0), reader.GetString(1));
                state.Messages.TryGetValue(key, out var counts);
                state.Messages[key] = (counts.Count + 1, counts.Sent + (reader.GetString(3) == "sent" ? 1 : 0));
                var recipient = reader.GetString(2);
                state.MessagesPerRecipient[recipient] = state.MessagesPerRecipient.GetValueOrDefault(recipient) + 1;
            }
        }
        return state;
    }

    /// <summary>Inbox rows created since <paramref name="since"/>: messages consumed, and redeliveries the inbox turned away.</summary>
    public static async Task<(long Rows, long Duplicates)> InboxAsync(Service service, DateTime since)
    {
        await using var connection = await OpenAsync(service);
        await using var reader = await Query(connection,
            """SELECT count(*), coalesce(sum("ReceiveCount" - 1), 0) FROM "InboxState" WHERE "Received" >= $1""", since);
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Messages in the service's outbox stored since <paramref name="since"/> (the relay deletes what the broker confirmed), and parked outboxes.</summary>
    public static async Task<(long Pending, long Parked)> OutboxAsync(Service service, DateTime since)
    {
        await using var connection = await OpenAsync(service);
        await using var reader = await Query(connection, """
            SELECT (SELECT count(*) FROM "OutboxMessage" WHERE "SentTime" >= $1),
                   (SELECT count(*) FROM "OutboxState" WHERE "Parked" IS NOT NULL AND "Created" >= $1)
            """, since);
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    static async Task<NpgsqlConnection> OpenAsync(Service service)
    {
        var connection = new NpgsqlConnection(SystemDatabases.ConnectionString(service));
        await connection.OpenAsync();
        return connection;
    }

    static async Task<NpgsqlDataReader> Query(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteReaderAsync();
    }
}
