using Microsoft.EntityFrameworkCore;

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

public sealed class PledgeDbContext(DbContextOptions<PledgeDbContext> options) : DbContext(options)
{
    public DbSet<Pledge> Pledges => Set<Pledge>();
    public DbSet<PledgeAcknowledgement> Acknowledgements => Set<PledgeAcknowledgement>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PledgeAcknowledgement>().HasKey(a => a.PledgeId);
        modelBuilder.AddTransactionalOutboxEntities();
    }
}
