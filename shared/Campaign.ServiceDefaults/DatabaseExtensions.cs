using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Campaign.ServiceDefaults;

public static class DatabaseExtensions
{
    /// <summary>
    /// The service's own PostgreSQL database, from <c>ConnectionStrings:{connectionName}</c>: the DbContext, a readiness
    /// check, and (when <c>Database:ApplyMigrations</c> is true) its EF migrations applied at start, waiting for the
    /// database if it is not up yet.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TDbContext>(this IHostApplicationBuilder builder, string connectionName)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var key = $"ConnectionStrings:{connectionName}";
        builder.Services.Configure<RequiredSettings>(s => s.Keys.Add(key));

        // Read when the DbContext is built, so test hosts can supply the setting late.
        builder.Services.AddDbContext<TDbContext>((services, options) => options.UseNpgsql(PreparedConnectionStrings.GetOrAdd(
            services.GetRequiredService<IConfiguration>()[key] ?? throw new InvalidOperationException($"Missing required setting '{key}'."),
            WithPreparedStatements)));

        builder.Services.AddScoped<Audit.IAuditStore, Audit.AuditStore<TDbContext>>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck<TDbContext>>($"database-{connectionName}", tags: ["ready"]);
        builder.Services.AddSingleton<IDatabaseMigrator>(services => ActivatorUtilities.CreateInstance<DatabaseMigrator<TDbContext>>(services, key));
        builder.Services.AddHostedService(services => (DatabaseMigrator<TDbContext>)services.GetRequiredService<IDatabaseMigrator>());
        return builder;
    }

    /// <summary>
    /// Runs the service; with the argument <c>migrate</c>, only applies its database's migrations and exits (0 when done):
    /// what a deployment's migration job runs (deploy/k8s), so that no service instance changes the schema as it starts.
    /// </summary>
    public static async Task<int> RunServiceAsync(this WebApplication app, string[] args)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (args is not ["migrate"])
        {
            await app.RunAsync();
            return 0;
        }
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        foreach (var migrator in app.Services.GetServices<IDatabaseMigrator>())
            await migrator.MigrateAsync(stop.Token);
        return 0;
    }

    /// <summary>The options run for every DbContext (each request, each consume): parse each connection string once.</summary>
    static readonly ConcurrentDictionary<string, string> PreparedConnectionStrings = new(StringComparer.Ordinal);

    /// <summary>
    /// Npgsql's automatic preparation: a statement seen twice on a connection is prepared, and PostgreSQL reuses its plan
    /// instead of parsing and planning it again. A service sends a few dozen distinct statements, over and over; issue 14's
    /// benchmark measured PostgreSQL's CPU per contribution a third lower with it (docs/benchmarks.md). A connection string
    /// that names <c>Max Auto Prepare</c> keeps its own value (0 turns it off).
    /// </summary>
    internal static string WithPreparedStatements(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.ContainsKey("Max Auto Prepare"))
            return connectionString;
        settings.MaxAutoPrepare = 64;
        settings.AutoPrepareMinUsages = 2;
        return settings.ConnectionString;
    }
}

sealed class DatabaseHealthCheck<TDbContext>(TDbContext dbContext) : IHealthCheck
    where TDbContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await dbContext.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The database does not accept connections.");
}

/// <summary>
/// Applies migrations at start when asked to; a database that is down is waited for, not crashed on. Any other failure (a
/// malformed connection string, a wrong password, a database that does not exist) stops the start naming the setting.
/// </summary>
interface IDatabaseMigrator
{
    Task MigrateAsync(CancellationToken cancellationToken);
}

sealed partial class DatabaseMigrator<TDbContext>(string settingKey, IServiceScopeFactory scopeFactory, IConfiguration configuration,
    ILogger<DatabaseMigrator<TDbContext>> logger)
    : IHostedService, IDatabaseMigrator
    where TDbContext : DbContext
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue<bool>("Database:ApplyMigrations"))
            await MigrateAsync(cancellationToken);
    }

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var database = scope.ServiceProvider.GetRequiredService<TDbContext>().Database;
                await CreateHistoryTableAsync(database, cancellationToken);
                await database.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception exception) when (IsUnreachable(exception) && !cancellationToken.IsCancellationRequested)
            {
                LogWaiting(logger, typeof(TDbContext).Name, delay.TotalSeconds, exception.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 10));
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException(
                    $"Applying the migrations of {typeof(TDbContext).Name} to the database of setting '{settingKey}' (environment variable "
                    + $"{settingKey.Replace(":", "__", StringComparison.Ordinal)}) failed: {exception.GetBaseException().Message}", exception);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Creates EF's migrations history table before <c>MigrateAsync</c> looks for it. Npgsql's provider finds out whether it
    /// exists by reading it, and on an empty database EF logs that failed read as an error ("Failed executing DbCommand ...
    /// __EFMigrationsHistory") although nothing is wrong: a newcomer's first start must not print one.
    /// </summary>
    static async Task CreateHistoryTableAsync(DatabaseFacade database, CancellationToken cancellationToken)
    {
        var script = database.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
        try
        {
            await database.ExecuteSqlRawAsync(script, cancellationToken);
        }
        catch (Npgsql.PostgresException exception) when (exception.SqlState is "23505" or "42P07")
        {
            // Another instance created it at the same moment.
        }
    }

    /// <summary>Connection failures and a server that is starting or shutting down; not bad credentials or bad SQL.</summary>
    static bool IsUnreachable(Exception exception) => exception switch
    {
        Npgsql.PostgresException pg => pg.SqlState is "57P03" or "57P01" or "08006" or "08001",
        Npgsql.NpgsqlException npgsql => npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        _ => exception.InnerException is not null && IsUnreachable(exception.InnerException),
    };

    [LoggerMessage(LogLevel.Warning, "Database of {DbContext} is not reachable yet; retrying migrations in {DelaySeconds} s ({Reason}).")]
    static partial void LogWaiting(ILogger logger, string dbContext, double delaySeconds, string reason);
}
