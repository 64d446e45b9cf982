using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox;

/// <summary>Quoted table names of the outbox entities as the DbContext's model maps them (schema included).</summary>
sealed record OutboxTables(string InboxState, string OutboxState, string OutboxMessage)
{
    public static OutboxTables For(DbContext dbContext) => new(
        Quote(dbContext, typeof(InboxState)),
        Quote(dbContext, typeof(OutboxState)),
        Quote(dbContext, typeof(OutboxMessage)));

    static string Quote(DbContext dbContext, Type entity)
    {
        var type = dbContext.Model.FindEntityType(entity)
            ?? throw new InvalidOperationException(
                $"{dbContext.GetType().Name} does not map {entity.Name}: call modelBuilder.AddTransactionalOutboxEntities() in OnModelCreating.");
        var table = type.GetTableName()!;
        var schema = type.GetSchema();
        return schema is null ? $"\"{table}\"" : $"\"{schema}\".\"{table}\"";
    }
}
