using Campaign.Outbox;
using Campaign.ServiceDefaults.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;

namespace Campaign.ServiceDefaults;

/// <summary>What every Campaign service has: telemetry, health endpoints, problem details, the clock, OpenAPI.</summary>
public static class ServiceDefaultsExtensions
{
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Framework chatter off by default: a log line per SQL command and per endpoint result cost more CPU than the
        // request itself (measured by bench/http.sh). Inserted first, so appsettings, environment and command line win.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
                // Polly logs every execution of the read-retry pipeline at Information; retries are logged by us.
                ["Logging:LogLevel:Polly"] = "Warning",
                // An error line per probe that finds a check unhealthy (every start-up's first probes too): HealthChangeLog
                // logs changes instead.
                ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService"] = "None",
            },
        });

        // Fails the start, naming every missing setting, before anything tries to use one.
        builder.Services.AddHostedService<RequiredSettingsCheck>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddDependencyUnavailable();
        builder.Services.RefuseNulCharacters();
        builder.Services.AddValidation();
        builder.Services.AddOpenApi(openApi => openApi.AddSchemaTransformer((schema, context, _) =>
        {
            // Strings are read by a custom converter (UnstorableText), which hides their type from the schema generator.
            if (context.JsonTypeInfo.Type == typeof(string) && schema.Type is null)
                schema.Type = JsonSchemaType.String;
            return Task.CompletedTask;
        }));
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"]);
        builder.Services.AddSingleton<IHealthCheckPublisher, HealthChangeLog>();
        builder.AddTelemetry();
        builder.AddServiceAuthentication();
        return builder;
    }

    static void AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource("MassTransit"))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter("MassTransit", OutboxMetrics.MeterName));

        // Export only where a collector is configured, as the OpenTelemetry SDK's environment variables say.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            telemetry.UseOtlpExporter();
    }

    /// <summary>Health endpoints (in every environment), sign-in, OpenAPI document and its UI (Development only), error handling.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseReadRetries();
        app.Use(UnstorableText.RefuseNulInQuery);

        // Live: the process answers. Ready: database, broker and outbox answer too. Open to the orchestrator's probes.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthResponse.WriteAsync,
        }).AllowAnonymous();

        // Every service with a database keeps an audit trail of who read or changed its data.
        if (app.Services.GetService<IServiceProviderIsService>()?.IsService(typeof(Audit.IAuditStore)) == true)
            app.MapAuditTrail();

        app.Services.GetService<MessagingExtensions.OutboxAdministration>()?.Map(app);

        // The API's description is for its developers, not for whoever can reach a production port.
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference().AllowAnonymous();
        }
        return app;
    }
}
