using Campaign.ServiceDefaults;
using CampaignFinance;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCampaignFinance();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCampaignFinanceEndpoints();
return await app.RunServiceAsync(args);

public partial class Program;
