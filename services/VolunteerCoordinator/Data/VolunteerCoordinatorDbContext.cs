using Campaign.Outbox;
using Campaign.ServiceDefaults.Audit;
using Microsoft.EntityFrameworkCore;

namespace VolunteerCoordinator.Data;

public sealed class VolunteerCoordinatorDbContext(DbContextOptions<VolunteerCoordinatorDbContext> options) : DbContext(options)
{
    public DbSet<Volunteer> Volunteers => Set<Volunteer>();

    public DbSet<ThankYouCall> ThankYouCalls => Set<ThankYouCall>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(VolunteerCoordinatorDbContext).Assembly);
        modelBuilder.AddTransactionalOutboxEntities();
        modelBuilder.AddAuditTrail();
    }
}
