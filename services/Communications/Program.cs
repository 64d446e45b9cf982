using Campaign.ServiceDefaults;
using Communications;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCommunications();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCommunicationsEndpoints();
return await app.RunServiceAsync(args);

public partial class Program;
