using Campaign.Outbox.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox;

/// <summary>HTTP endpoints to see and release parked outboxes. Protect them like any admin surface.</summary>
public static class OutboxEndpointRouteBuilderExtensions
{
    public static RouteGroupBuilder MapOutboxAdministration<TDbContext>(this IEndpointRouteBuilder endpoints, string prefix = "/admin/outbox")
        where TDbContext : DbContext
    {
        var group = endpoints.MapGroup(prefix).WithTags("Outbox administration");

        group.MapGet("/parked", async (ParkedOutboxes<TDbContext> parked, CancellationToken cancellationToken) =>
            TypedResults.Ok(await parked.ListAsync(100, cancellationToken)));

        group.MapPost("/parked/{outboxId:guid}/release", async Task<Results<NoContent, NotFound>> (
            Guid outboxId, ParkedOutboxes<TDbContext> parked, CancellationToken cancellationToken) =>
            await parked.ReleaseAsync(outboxId, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound());

        return group;
    }
}
