using Campaign.ServiceDefaults;
using Operations;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddOperations();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapOperations();
app.Run();

public partial class Program;
