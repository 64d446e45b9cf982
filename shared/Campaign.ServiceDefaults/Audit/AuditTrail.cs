using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Campaign.ServiceDefaults.Audit;

/// <summary>One request that read or changed the service's data: who, when, what, and the trace it belongs to.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The token's subject: a person, or a calling system for client-credentials tokens.</summary>
    public required string Subject { get; set; }

    /// <summary>The client the token was issued to (<c>client_id</c>, or <c>azp</c>/<c>appid</c> of other providers).</summary>
    public string? ClientId { get; set; }

    /// <summary>The endpoint's name, such as <c>GetDonor</c> or <c>RecordContribution</c>.</summary>
    public required string Action { get; set; }

    /// <summary>The path (ids only: personal data never travels in a URL here), or where a created resource lives.</summary>
    public required string Resource { get; set; }

    public int Status { get; set; }

    public string? TraceId { get; set; }
}

/// <summary>
/// Records every request to an endpoint that needs a scope, once its handler has run and before the answer is written: a read
/// whose record cannot be written is not answered (503), so no personal data leaves unrecorded.
/// </summary>
public static partial class AuditTrail
{
    public const string Table = "AuditTrail";

    /// <summary>Makes the audit table append-only for the service's own role: a trigger refuses UPDATE, DELETE and TRUNCATE, and the
    /// privileges are revoked too. Only a database administrator can purge it, by the retention in docs/security.md.</summary>
    public const string AppendOnlySql = $"""
        CREATE FUNCTION campaign_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER "{Table}_append_only" BEFORE UPDATE OR DELETE ON "{Table}"
            FOR EACH ROW EXECUTE FUNCTION campaign_audit_append_only();
        CREATE TRIGGER "{Table}_no_truncate" BEFORE TRUNCATE ON "{Table}"
            FOR EACH STATEMENT EXECUTE FUNCTION campaign_audit_append_only();
        REVOKE UPDATE, DELETE, TRUNCATE ON "{Table}" FROM CURRENT_USER;
        """;

    /// <summary>The audit table in the service's model (its migrations create it, then run <see cref="AppendOnlySql"/>).</summary>
    public static ModelBuilder AddAuditTrail(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<AuditEntry>(entry =>
        {
            entry.ToTable(Table);
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Subject).HasMaxLength(256);
            entry.Property(e => e.ClientId).HasMaxLength(256);
            entry.Property(e => e.Action).HasMaxLength(100);
            entry.Property(e => e.Resource).HasMaxLength(400);
            entry.Property(e => e.TraceId).HasMaxLength(32);
            entry.HasIndex(e => e.At);
            entry.HasIndex(e => new { e.Subject, e.At });
        });
        return modelBuilder;
    }

    internal static void Audited(EndpointBuilder endpoint)
    {
        endpoint.FilterFactories.Add((_, next) => async context =>
        {
            var result = await next(context);
            var http = context.HttpContext;
            var entry = Describe(http, result);
            try
            {
                // Not the request's token: a client that hangs up after a committed write must not take its record with it.
                await http.RequestServices.GetRequiredService<IAuditStore>().WriteAsync(entry, CancellationToken.None);
            }
            catch (Exception exception)
            {
                var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuditTrail));
                if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
                {
                    // The write has committed: answering it as failed would invite a retry that does it twice.
                    LogWriteNotRecorded(logger, entry.Action, entry.Resource, exception);
                    return result;
                }
                LogReadNotRecorded(logger, entry.Action, entry.Resource, exception);
                if (DependencyUnavailable.IsTransient(exception))
                    throw;
                return TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "The request could not be recorded in the audit trail.");
            }
            return result;
        });
    }

    static AuditEntry Describe(HttpContext http, object? result)
    {
        var user = http.User;
        var status = StatusOf(result) ?? StatusCodes.Status200OK;
        var location = Unwrap(result)?.GetType().GetProperty("Location")?.GetValue(Unwrap(result)) as string;
        var endpoint = http.GetEndpoint();
        return new AuditEntry
        {
            At = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
            Subject = Truncate(user.FindFirstValue("sub") ?? "(unknown)", 256),
            ClientId = (user.FindFirstValue("client_id") ?? user.FindFirstValue("azp") ?? user.FindFirstValue("appid")) is { } client ? Truncate(client, 256) : null,
            Action = endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
                ?? $"{http.Request.Method} {(endpoint as RouteEndpoint)?.RoutePattern.RawText}",
            Resource = Truncate(status is StatusCodes.Status201Created && location is not null ? location : http.Request.Path.Value ?? "/", 400),
            Status = status,
            TraceId = Activity.Current?.TraceId.ToHexString(),
        };
    }

    static object? Unwrap(object? result) => result is INestedHttpResult nested ? Unwrap(nested.Result) : result;

    static int? StatusOf(object? result) => Unwrap(result) is IStatusCodeHttpResult coded ? coded.StatusCode : null;

    static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    [LoggerMessage(LogLevel.Error, "The audit trail could not record {Action} on {Resource}; the read was not answered with its data.")]
    static partial void LogReadNotRecorded(ILogger logger, string action, string resource, Exception exception);

    [LoggerMessage(LogLevel.Critical, "The audit trail could not record the committed write {Action} on {Resource}.")]
    static partial void LogWriteNotRecorded(ILogger logger, string action, string resource, Exception exception);
}

/// <summary>The service's audit table: written beside (not inside) the request's own change tracking, read by <c>GET /audit</c>.</summary>
public interface IAuditStore
{
    Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<AuditPage> ListAsync(AuditQuery query, int page, int pageSize, CancellationToken cancellationToken);
}

sealed class AuditStore<TDbContext>(TDbContext db) : IAuditStore
    where TDbContext : DbContext
{
    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "AuditTrail" ("At", "Subject", "ClientId", "Action", "Resource", "Status", "TraceId")
            VALUES ({entry.At}, {entry.Subject}, {entry.ClientId}, {entry.Action}, {entry.Resource}, {entry.Status}, {entry.TraceId})
            """, cancellationToken);

    public async Task<AuditPage> ListAsync(AuditQuery query, int page, int pageSize, CancellationToken cancellationToken)
    {
        var entries = db.Set<AuditEntry>().AsNoTracking();
        if (query.Subject is { Length: > 0 } subject)
            entries = entries.Where(e => e.Subject == subject);
        if (query.ClientId is { Length: > 0 } client)
            entries = entries.Where(e => e.ClientId == client);
        if (query.Action is { Length: > 0 } action)
            entries = entries.Where(e => e.Action == action);
        if (query.Resource is { Length: > 0 } resource)
            entries = entries.Where(e => e.Resource.StartsWith(resource));
        if (query.From is { } from)
            entries = entries.Where(e => e.At >= from);
        if (query.To is { } to)
            entries = entries.Where(e => e.At < to);

        var total = await entries.CountAsync(cancellationToken);
        var items = await entries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return new AuditPage(items, page, pageSize, total);
    }
}
