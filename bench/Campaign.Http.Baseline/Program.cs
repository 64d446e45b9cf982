using Campaign.Http.Baseline;
using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using CampaignFinance.Features.Contributions;
using CampaignFinance.Features.Donors;
using CampaignFinance.Idempotency;
using MassTransit;

// CampaignFinance's AddCampaignFinance without AddServiceMessaging: the same endpoints on the same database, and the events
// go nowhere (no outbox rows, no relay, no broker connection).
var builder = WebApplication.CreateBuilder(args);

// The load client's tokens are CampaignFinance's (the audience defaults to the application's name).
builder.Configuration["Auth:Audience"] ??= "campaign-finance";
builder.AddServiceDefaults();
builder.AddServiceDatabase<FinanceDbContext>("CampaignFinance");
builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
builder.Services.AddScoped<IdempotentRequests>();
builder.Services.AddSingleton<IPublishEndpoint, EventsDropped>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDonorsEndpoints();
app.MapContributionsEndpoints();
app.Run();
