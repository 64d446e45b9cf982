using Campaign.Outbox;
using Campaign.ServiceDefaults.Audit;
using Microsoft.EntityFrameworkCore;
using VolunteerCoordinator.Features.ThankYouCalls;

namespace VolunteerCoordinator.Data;

public sealed class VolunteerCoordinatorDbContext(DbContextOptions<VolunteerCoordinatorDbContext> options) : DbContext(options)
{
    public DbSet<Volunteer> Volunteers => Set<Volunteer>();

    public DbSet<ThankYouCall> ThankYouCalls => Set<ThankYouCall>();

    /// <summary>The thank-you sagas: one per secured donor, waiting for the call, called, or overdue.</summary>
    public DbSet<ThankYouCallState> ThankYouCallSagas => Set<ThankYouCallState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(VolunteerCoordinatorDbContext).Assembly);
        modelBuilder.AddTransactionalOutboxEntities();
        modelBuilder.AddAuditTrail();
    }
}
