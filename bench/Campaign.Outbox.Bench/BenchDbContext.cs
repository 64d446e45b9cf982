using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Bench;

/// <summary>A service's DbContext: one business table plus the outbox entities.</summary>
sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options)
{
    public DbSet<BusinessRow> Rows => Set<BusinessRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BusinessRow>().ToTable("BusinessRow");
        modelBuilder.AddTransactionalOutboxEntities();
    }

    public static string CreateScript()
    {
        var options = new DbContextOptionsBuilder<BenchDbContext>().UseNpgsql("Host=localhost").Options;
        using var db = new BenchDbContext(options);
        return db.Database.GenerateCreateScript() + "\n" + OutboxMigrationBuilderExtensions.OrderingTriggerSql(db.Model) + "\n";
    }

    /// <summary>Creates the schema as a service's migration would (the ordering trigger; the NOTIFY trigger only when asked).</summary>
    public static async Task CreateSchemaAsync(string connectionString, bool notifyTrigger = false)
    {
        var options = new DbContextOptionsBuilder<BenchDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new BenchDbContext(options);
        await db.Database.EnsureCreatedAsync();
        await db.Database.ExecuteSqlRawAsync(OutboxMigrationBuilderExtensions.OrderingTriggerSql(db.Model));
        if (notifyTrigger)
            await db.Database.ExecuteSqlRawAsync(OutboxMigrationBuilderExtensions.NotifyTriggerSql());
    }
}
