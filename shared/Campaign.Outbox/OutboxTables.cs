using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Campaign.Outbox;

/// <summary>
/// The outbox entities' tables and columns as the DbContext's model maps them: schema, table and column names come from
/// the model, so naming conventions (snake_case) and a custom schema reach every statement the outbox writes by hand.
/// </summary>
sealed record OutboxTables(OutboxTable InboxState, OutboxTable OutboxState, OutboxTable OutboxMessage)
{
    public static OutboxTables For(DbContext dbContext) => For(dbContext.Model, dbContext.GetType().Name);

    public static OutboxTables For(IReadOnlyModel model, string contextName) => new(
        OutboxTable.For(model, typeof(InboxState), contextName),
        OutboxTable.For(model, typeof(OutboxState), contextName),
        OutboxTable.For(model, typeof(OutboxMessage), contextName));
}

/// <summary>One table: its quoted, schema-qualified name (what <see cref="ToString"/> gives) and its quoted columns by property name.</summary>
sealed class OutboxTable
{
    readonly Dictionary<string, string> _columns;

    OutboxTable(string name, string? schema, Dictionary<string, string> columns)
    {
        Name = name;
        Schema = schema;
        _columns = columns;
    }

    /// <summary>The table's name, unquoted.</summary>
    public string Name { get; }

    public string? Schema { get; }

    /// <summary>The quoted column of a property, e.g. <c>t[nameof(OutboxState.Created)]</c> is <c>"Created"</c> or <c>"created"</c>.</summary>
    public string this[string property] => _columns.TryGetValue(property, out var column)
        ? column
        : throw new InvalidOperationException($"The outbox table {this} maps no column for {property}.");

    /// <summary>Every mapped column, quoted: a system column such as <c>xmin</c> only comes back when named.</summary>
    public IEnumerable<string> Columns => _columns.Values;

    /// <summary>The unquoted column of a property.</summary>
    public string Column(string property) => this[property][1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);

    public override string ToString() => Schema is null ? Quote(Name) : $"{Quote(Schema)}.{Quote(Name)}";

    public static OutboxTable For(IReadOnlyModel model, Type entity, string contextName)
    {
        // A migration's TargetModel (built from the designer file) knows entity types by name.
        var type = model.FindEntityType(entity) ?? model.FindEntityType(entity.FullName!)
            ?? throw new InvalidOperationException(
                $"{contextName} does not map {entity.Name}: call modelBuilder.AddTransactionalOutboxEntities() in OnModelCreating.");
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var columns = type.GetProperties()
            .Where(p => p.GetColumnName(table) is not null)
            .ToDictionary(p => p.Name, p => Quote(p.GetColumnName(table)!), StringComparer.Ordinal);
        return new OutboxTable(table.Name, table.Schema, columns);
    }

    static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
