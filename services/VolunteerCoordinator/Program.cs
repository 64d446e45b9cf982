using Campaign.ServiceDefaults;
using VolunteerCoordinator;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddVolunteerCoordinator();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapVolunteerCoordinatorEndpoints();
return await app.RunServiceAsync(args);

public partial class Program;
