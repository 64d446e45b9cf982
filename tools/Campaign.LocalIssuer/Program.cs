using Campaign.LocalIssuer;

var builder = WebApplication.CreateBuilder(args);

// deploy/local/infra writes the clients and their generated secrets to a file outside the repository.
if (builder.Configuration["ConfigFile"] is { Length: > 0 } configFile)
    builder.Configuration.AddJsonFile(configFile, optional: false);
builder.AddLocalIssuer();

var app = builder.Build();
app.MapGet("/health", () => "ok");
app.MapPeopleSignIn();
app.MapGet("/signin-done", () => "Signed in. Go back to the page that sent you here.");
app.Run();
