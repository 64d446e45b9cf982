using Campaign.Outbox.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox;

/// <summary>What one service's outbox holds and how fast it delivers: the operator page's figures.</summary>
/// <param name="Pending">Messages waiting for the relay.</param>
/// <param name="OldestPendingAgeSeconds">Age of the oldest waiting unit of work.</param>
/// <param name="Scheduled">Messages scheduled for later, not yet due.</param>
/// <param name="Parked">Units of work parked after repeated failures.</param>
/// <param name="MeasuredAt">When the relay last measured the backlog (every few seconds); null before its first measure.</param>
/// <param name="LagLastHour">Delivery lag per minute over the last hour, in this instance of the service.</param>
public sealed record OutboxStatus(long Pending, double OldestPendingAgeSeconds, long Scheduled, long Parked, DateTimeOffset? MeasuredAt,
    IReadOnlyList<DeliveryLagMinute> LagLastHour);

/// <summary>HTTP endpoints to see the outbox's backlog and lag, and to see and release parked outboxes. Protect them like any admin surface.</summary>
public static class OutboxEndpointRouteBuilderExtensions
{
    public static RouteGroupBuilder MapOutboxAdministration<TDbContext>(this IEndpointRouteBuilder endpoints, string prefix = "/admin/outbox")
        where TDbContext : DbContext
    {
        var group = endpoints.MapGroup(prefix).WithTags("Outbox administration");

        group.MapGet("/", (OutboxMetrics metrics) =>
        {
            var name = typeof(TDbContext).Name;
            var backlog = metrics.Backlog(name);
            return TypedResults.Ok(new OutboxStatus(backlog?.Pending ?? 0, backlog?.OldestAge.TotalSeconds ?? 0, backlog?.Scheduled ?? 0,
                backlog?.Parked ?? 0, backlog?.MeasuredAt, metrics.LagHistory(name).LastHour()));
        });

        group.MapGet("/parked", async (ParkedOutboxes<TDbContext> parked, CancellationToken cancellationToken) =>
            TypedResults.Ok(await parked.ListAsync(100, cancellationToken)));

        group.MapPost("/parked/{outboxId:guid}/release", async Task<Results<NoContent, NotFound>> (
            Guid outboxId, ParkedOutboxes<TDbContext> parked, CancellationToken cancellationToken) =>
            await parked.ReleaseAsync(outboxId, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound());

        return group;
    }
}
