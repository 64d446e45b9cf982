using Campaign.Outbox;
using Campaign.ServiceDefaults;
using Campaign.ServiceDefaults.Retention;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using CampaignFinance.Features.Reports;
using CampaignFinance.Idempotency;
using Microsoft.AspNetCore.OpenApi;

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

        // Request log lines cost CPU and add nothing that traces and metrics do not show; names and addresses no longer
        // travel in URLs (POST /donors/search), but a client may still try.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddScoped<IdempotentRequests>();
        builder.Services.Configure<OpenApiOptions>("v1", openApi => openApi.AddOperationTransformer<OpenApiExamples>());
        builder.AddRetentionPolicy<IdempotentResponsesRetention>();
        return builder;
    }

    public static WebApplication MapCampaignFinanceEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapDonorsEndpoints();
        app.MapContributionsEndpoints();
        app.MapLedgerEndpoints();
        app.MapAdjustmentsEndpoints();
        app.MapReportsEndpoints();
        return app;
    }
}
