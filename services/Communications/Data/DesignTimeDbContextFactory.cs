using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Communications.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running server or the app's settings.</summary>
sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<CommunicationsDbContext>
{
    public CommunicationsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CommunicationsDbContext>()
            .UseNpgsql("Host=localhost;Database=communications;Username=design_time")
            .Options);
}
