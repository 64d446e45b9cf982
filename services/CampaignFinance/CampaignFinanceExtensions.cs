using Campaign.Outbox;
using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using CampaignFinance.Features.Reports;
using CampaignFinance.Idempotency;

namespace CampaignFinance;

public static class CampaignFinanceExtensions
{
    /// <summary>The database (donors, contributions, stored idempotent responses, outbox) and the bus the events leave by.</summary>
    public static WebApplicationBuilder AddCampaignFinance(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDatabase<FinanceDbContext>("CampaignFinance");

        // CampaignFinance only publishes (through the outbox); it consumes nothing.
        builder.AddServiceMessaging<FinanceDbContext>(_ => { });

        // The request log line carries the query string, and GET /donors?email=&name= puts personal data there. Requests
        // still show in traces (whose query values OpenTelemetry redacts) and metrics.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddScoped<IdempotentRequests>();
        return builder;
    }

    public static WebApplication MapCampaignFinanceEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapDonorsEndpoints();
        app.MapContributionsEndpoints();
        app.MapReportsEndpoints();
        app.MapOutboxAdministration<FinanceDbContext>().RequireScope("outbox.admin");
        return app;
    }
}
