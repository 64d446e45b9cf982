using Npgsql;

namespace Campaign.ResilienceTests.Support;

/// <summary>
/// What a database holds: each table's row count and a digest of all its rows, and each sequence's last value (so a row
/// inserted and deleted again, e.g. an outbox message the relay already sent, still shows). Equal fingerprints: nothing written.
/// The audit trail is left out: it records every request that reached an endpoint, refused ones too, by design.
/// </summary>
public sealed record DatabaseFingerprint(IReadOnlyDictionary<string, string> Tables)
{
    public static async Task<DatabaseFingerprint> TakeAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'AuditTrail' ORDER BY 1",
            connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }

        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var digest = new NpgsqlCommand(
                $"SELECT count(*) || ' rows, ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM {table} t", connection);
            result[table] = (string)(await digest.ExecuteScalarAsync())!;
        }
        await using (var sequences = new NpgsqlCommand("SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public' AND sequencename <> 'AuditTrail_Id_seq'", connection))
        await using (var reader = await sequences.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                result["sequence " + reader.GetString(0)] = reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return new DatabaseFingerprint(result);
    }

    /// <summary>The tables and sequences whose content differs, with before and after.</summary>
    public IEnumerable<string> Differences(DatabaseFingerprint after)
    {
        ArgumentNullException.ThrowIfNull(after);
        foreach (var key in Tables.Keys.Union(after.Tables.Keys).Order(StringComparer.Ordinal))
        {
            Tables.TryGetValue(key, out var before);
            after.Tables.TryGetValue(key, out var now);
            if (before != now)
                yield return $"{key}: {before ?? "(none)"} -> {now ?? "(none)"}";
        }
    }
}
