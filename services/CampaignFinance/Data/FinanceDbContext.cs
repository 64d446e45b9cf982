using Campaign.Outbox;
using Campaign.ServiceDefaults.Audit;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Data;

public sealed class FinanceDbContext(DbContextOptions<FinanceDbContext> options) : DbContext(options)
{
    public DbSet<Donor> Donors => Set<Donor>();

    public DbSet<Contribution> Contributions => Set<Contribution>();

    public DbSet<ContributionAdjustment> ContributionAdjustments => Set<ContributionAdjustment>();

    public DbSet<IdempotentRequest> IdempotentRequests => Set<IdempotentRequest>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FinanceDbContext).Assembly);
        modelBuilder.AddTransactionalOutboxEntities();
        modelBuilder.AddAuditTrail();
    }
}
