using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Campaign.Outbox;

/// <summary>
/// The outbox's two PostgreSQL triggers, named from the EF model (so snake_case and custom schemas work):
/// <list type="bullet">
/// <item><c>outbox_state_ordering</c> (required): at commit, a unit of work with an ordering key takes a lock on its key and
/// gets its <c>Created</c> time then, so units of one key are ordered by commit.</item>
/// <item><c>outbox_state_notify</c> (optional, <see cref="Configuration.OutboxNotification.Trigger"/>): NOTIFY inside the
/// writing transaction, for writers outside this library. It makes every writing transaction take PostgreSQL's commit-time
/// NOTIFY lock; the default wakes relays after the commit instead.</item>
/// </list>
/// </summary>
public static class OutboxMigrationBuilderExtensions
{
    /// <summary>The channel the relays listen on.</summary>
    public const string DefaultChannel = "campaign_outbox";

    /// <summary>Call in a migration's Up after the OutboxState table exists: <c>migrationBuilder.AddOutboxOrderingTrigger(TargetModel!)</c>.</summary>
    public static MigrationBuilder AddOutboxOrderingTrigger(this MigrationBuilder migrationBuilder, IReadOnlyModel model)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql(OrderingTriggerSql(model));
        return migrationBuilder;
    }

    /// <summary>Reverses <see cref="AddOutboxOrderingTrigger"/>.</summary>
    public static MigrationBuilder DropOutboxOrderingTrigger(this MigrationBuilder migrationBuilder, IReadOnlyModel model)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        var s = OutboxTables.For(model, "the model").OutboxState;
        migrationBuilder.Sql($"""
            DROP TRIGGER IF EXISTS outbox_state_ordering ON {s};
            DROP FUNCTION IF EXISTS {Qualify(s.Schema, "outbox_state_ordering")}();
            """);
        return migrationBuilder;
    }

    /// <summary>The SQL of the ordering trigger, for databases created without migrations (<c>EnsureCreated</c>).</summary>
    public static string OrderingTriggerSql(IReadOnlyModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var s = OutboxTables.For(model, "the model").OutboxState;
        var function = Qualify(s.Schema, "outbox_state_ordering");

        // Deferred to commit: the key's lock is held only while the transaction commits (not while it does its work), and a
        // later unit of the same key can only take its time after this one committed. hashtextextended spreads keys over
        // 64-bit advisory locks; a collision only makes two keys wait for each other at commit.
        return $"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtextextended(NEW.{s["OrderingKey"]}, 0));
                UPDATE {s} SET {s["Created"]} = clock_timestamp() WHERE {s["OutboxId"]} = NEW.{s["OutboxId"]};
                RETURN NULL;
            END $$;
            DROP TRIGGER IF EXISTS outbox_state_ordering ON {s};
            CREATE CONSTRAINT TRIGGER outbox_state_ordering AFTER INSERT ON {s}
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.{s["OrderingKey"]} IS NOT NULL)
                EXECUTE FUNCTION {function}();
            """;
    }

    /// <summary>Only with <see cref="Configuration.OutboxNotification.Trigger"/>: call after the OutboxState table exists.</summary>
    public static MigrationBuilder AddOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string? schema = null,
        string channel = DefaultChannel, string table = nameof(OutboxState))
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql(NotifyTriggerSql(schema, channel, table));
        return migrationBuilder;
    }

    /// <summary>The SQL that creates (or replaces) the notify trigger, for databases not managed by EF migrations.</summary>
    public static string NotifyTriggerSql(string? schema = null, string channel = DefaultChannel, string table = nameof(OutboxState))
    {
        var function = Qualify(schema, "outbox_state_notify");
        return $"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{channel.Replace("'", "''", StringComparison.Ordinal)}', '');
                RETURN NULL;
            END $$;
            CREATE OR REPLACE TRIGGER outbox_state_notify AFTER INSERT ON {Qualify(schema, table)}
                FOR EACH STATEMENT EXECUTE FUNCTION {function}();
            """;
    }

    /// <summary>Reverses <see cref="AddOutboxNotifyTrigger"/>; a migration that moves to the after-commit wake-up calls it.</summary>
    public static MigrationBuilder DropOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string? schema = null,
        string table = nameof(OutboxState))
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql($"""
            DROP TRIGGER IF EXISTS outbox_state_notify ON {Qualify(schema, table)};
            DROP FUNCTION IF EXISTS {Qualify(schema, "outbox_state_notify")}();
            """);
        return migrationBuilder;
    }

    static string Qualify(string? schema, string name) => schema is null ? $"\"{name}\"" : $"\"{schema}\".\"{name}\"";
}
