using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace VolunteerCoordinator.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running server or the app's settings.</summary>
sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<VolunteerCoordinatorDbContext>
{
    public VolunteerCoordinatorDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<VolunteerCoordinatorDbContext>()
            .UseNpgsql("Host=localhost;Database=volunteer_coordinator;Username=design_time")
            .Options);
}
