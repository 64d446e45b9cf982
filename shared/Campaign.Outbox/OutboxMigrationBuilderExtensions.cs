using Microsoft.EntityFrameworkCore.Migrations;

namespace Campaign.Outbox;

/// <summary>
/// The PostgreSQL trigger that wakes every relay instance when a unit of work commits.
/// NOTIFY issued by a trigger runs inside the writing transaction, so it is delivered on commit and never for
/// a rollback, costs the writer no extra round trip, and works for writers in any process.
/// </summary>
public static class OutboxMigrationBuilderExtensions
{
    /// <summary>The channel the trigger notifies and the relay listens on.</summary>
    public const string DefaultChannel = "campaign_outbox";

    /// <summary>Call in the migration that creates the OutboxState table (after it).</summary>
    public static MigrationBuilder AddOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string? schema = null,
        string channel = DefaultChannel)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql(NotifyTriggerSql(schema, channel));
        return migrationBuilder;
    }

    /// <summary>The SQL that creates (or replaces) the trigger, for databases not managed by EF migrations.</summary>
    public static string NotifyTriggerSql(string? schema = null, string channel = DefaultChannel)
    {
        var table = Qualify(schema, nameof(OutboxState));
        var function = Qualify(schema, "outbox_state_notify");
        return $"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{channel.Replace("'", "''", StringComparison.Ordinal)}', '');
                RETURN NULL;
            END $$;
            CREATE OR REPLACE TRIGGER outbox_state_notify AFTER INSERT ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION {function}();
            """;
    }

    /// <summary>Reverses <see cref="AddOutboxNotifyTrigger"/> (for a migration's Down).</summary>
    public static MigrationBuilder DropOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string? schema = null)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql($"""
            DROP TRIGGER IF EXISTS outbox_state_notify ON {Qualify(schema, nameof(OutboxState))};
            DROP FUNCTION IF EXISTS {Qualify(schema, "outbox_state_notify")}();
            """);
        return migrationBuilder;
    }

    static string Qualify(string? schema, string name) => schema is null ? $"\"{name}\"" : $"\"{schema}\".\"{name}\"";
}
