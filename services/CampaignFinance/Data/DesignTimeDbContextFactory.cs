using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CampaignFinance.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running server or the app's settings.</summary>
sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<FinanceDbContext>
{
    public FinanceDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FinanceDbContext>()
            .UseNpgsql("Host=localhost;Database=campaign_finance;Username=design_time")
            .Options);
}
