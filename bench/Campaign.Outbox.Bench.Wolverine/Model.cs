using Campaign.Outbox.Bench;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Bench.Wolverine;

/// <summary>
/// The service's DbContext: one business table. Registered with <c>AddDbContextWithWolverineIntegration</c>, which adds
/// Wolverine's envelope tables to this model so the outgoing envelope is inserted in the same EF Core batch as the row.
/// </summary>
sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options)
{
    public DbSet<BusinessRow> Rows => Set<BusinessRow>();

    /// <summary>
    /// The business table's DDL, run before Wolverine starts. Not EnsureCreated: the model also maps Wolverine's envelope
    /// tables, which Wolverine creates itself (resource setup on startup) in its own schema.
    /// </summary>
    public const string CreateTableSql = """
        CREATE TABLE "BusinessRow" (
            "Id" uuid PRIMARY KEY,
            "Seq" bigint NOT NULL,
            "Amount" numeric NOT NULL,
            "CreatedAt" timestamptz NOT NULL)
        """;

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<BusinessRow>().ToTable("BusinessRow");
}

/// <summary>
/// The consumer: Wolverine finds it by convention (a public class named *Handler with a Handle method) and injects the
/// singleton <see cref="Recorder"/>. It only records the receive time, so the figures are the outbox's and the broker's.
/// </summary>
#pragma warning disable CA1515 // discovered and called by Wolverine's run-time generated code
public static class RecordingHandler
{
    public static void Handle(BenchEvent message, Recorder recorder)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(recorder);
        recorder.Record(message);
    }
}
#pragma warning restore CA1515
