using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Campaign.ServiceDefaults.Audit;

/// <summary>Filters of <c>GET /audit</c>; each optional. <c>From</c> is inclusive, <c>To</c> exclusive.</summary>
public sealed record AuditQuery(string? Subject, string? ClientId, string? Action, string? Resource, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, int Page, int PageSize, int TotalCount);

public static class AuditEndpoints
{

    /// <summary>The service's audit trail for the data-protection officer and auditors (scope <c>audit.read</c>).</summary>
    public static IEndpointRouteBuilder MapAuditTrail(this IEndpointRouteBuilder app)
    {
        app.MapGet("/audit", async Task<Results<Ok<AuditPage>, ValidationProblem>> (string? subject, string? clientId, string? action,
                string? resource, DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize, IAuditStore store,
                CancellationToken cancellationToken) =>
            {
                var errors = new Dictionary<string, string[]>();
                var paging = Paging.Read(page, pageSize ?? 50, errors);
                if (from > to)
                    errors["from"] = ["'from' must not be after 'to'."];
                if (errors.Count > 0)
                    return TypedResults.ValidationProblem(errors);
                var query = new AuditQuery(subject, clientId, action, resource, from, to);
                return TypedResults.Ok(await store.ListAsync(query, paging.Page, paging.PageSize, cancellationToken));
            })
            .WithTags("Audit")
            .WithName("ListAuditTrail")
            .WithSummary("Who read or changed what, when, newest first; filtered by subject, client, action, resource (prefix) and time.")
            .RequireScope("audit.read");
        return app;
    }
}
