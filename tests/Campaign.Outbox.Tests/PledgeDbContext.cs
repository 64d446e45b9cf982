using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Campaign.Outbox.Tests;

/// <summary>A pledge: the business row each test transaction writes next to its messages.</summary>
public sealed class Pledge
{
    public Guid Id { get; set; }
    public decimal Amount { get; set; }
}

/// <summary>What a consumer behind the inbox writes: one row per pledge it handled.</summary>
public sealed class PledgeAcknowledgement
{
    public Guid PledgeId { get; set; }
    public int Times { get; set; }
}

/// <summary>How a test's database names things: MassTransit's names in the default schema, or snake_case and/or a schema of its own.</summary>
public sealed record PledgeNaming(string? Schema = null, bool SnakeCase = false)
{
    public static readonly PledgeNaming Default = new();

    public DbContextOptions<PledgeDbContext> Options(string connectionString)
    {
        var builder = new DbContextOptionsBuilder<PledgeDbContext>();
        Apply(builder, connectionString);
        return builder.Options;
    }

    public DbContextOptionsBuilder Apply(DbContextOptionsBuilder builder, string connectionString)
    {
        builder.UseNpgsql(connectionString).ReplaceService<IModelCacheKeyFactory, PledgeModelCacheKeyFactory>();
        if (SnakeCase)
            builder.UseSnakeCaseNamingConvention();
        return builder;
    }
}

public sealed class PledgeDbContext(DbContextOptions<PledgeDbContext> options, PledgeNaming? naming = null) : DbContext(options)
{
    public PledgeNaming Naming { get; } = naming ?? PledgeNaming.Default;

    public DbSet<Pledge> Pledges => Set<Pledge>();
    public DbSet<PledgeAcknowledgement> Acknowledgements => Set<PledgeAcknowledgement>();
    public DbSet<PledgeState> PledgeStates => Set<PledgeState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        if (Naming.Schema is not null)
            modelBuilder.HasDefaultSchema(Naming.Schema);
        modelBuilder.Entity<PledgeAcknowledgement>().HasKey(a => a.PledgeId);
        var saga = modelBuilder.Entity<PledgeState>();
        saga.HasKey(p => p.CorrelationId);
        saga.Property(p => p.CurrentState).HasMaxLength(64);
        saga.Property(p => p.Version).IsRowVersion(); // PostgreSQL's xmin: the optimistic repository's concurrency token
        modelBuilder.AddTransactionalOutboxEntities();
    }
}

/// <summary>One model per naming (EF caches a model per DbContext type otherwise).</summary>
sealed class PledgeModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), (context as PledgeDbContext)?.Naming, designTime);
}
