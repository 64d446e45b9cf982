using Campaign.ServiceDefaults;
using Campaign.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Features.ThankYouCalls;

/// <summary>The calls that thank newly secured donors: listing, assigning to a phone-banker, completing.</summary>
public static partial class ThankYouCallsEndpoints
{
    public static IEndpointRouteBuilder MapThankYouCallsEndpoints(this IEndpointRouteBuilder app)
    {
        var calls = app.MapGroup("/thank-you-calls").WithTags("Thank-you calls");
        calls.MapGet("/", ListCalls)
            .RequireScope("volunteers.read")
            .WithName("ListThankYouCalls")
            .WithSummary("Lists thank-you calls, oldest first, optionally by status (open, assigned, completed).");
        calls.MapGet("/{id:guid}", GetCall)
            .RequireScope("volunteers.read")
            .WithName("GetThankYouCall")
            .WithSummary("One thank-you call.");
        calls.MapPost("/{id:guid}/assign", AssignCall)
            .RequireScope("calls.assign")
            .WithName("AssignThankYouCall")
            .WithSummary("Gives the call to a phone-banking volunteer (or to another one) and publishes ThankYouCallAssigned.")
            .WithDescription("Assigning a call to the volunteer who already has it changes nothing and publishes nothing. "
                + "A completed call cannot be reassigned (409).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        calls.MapPost("/{id:guid}/complete", CompleteCall)
            .RequireScope("calls.assign")
            .WithName("CompleteThankYouCall")
            .WithSummary("Marks an assigned call as made, with optional notes, and publishes ThankYouCallCompleted. An open or completed call answers 409.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    static async Task<Results<Ok<ThankYouCallPage>, ValidationProblem>> ListCalls(
        string? status, int? page, int? pageSize, VolunteerCoordinatorDbContext db, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !ThankYouCallStatus.All.Contains(status))
            errors["status"] = [$"Unknown status. Use one of: {string.Join(", ", ThankYouCallStatus.All)}."];
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = db.ThankYouCalls.AsNoTracking();
        query = status switch
        {
            ThankYouCallStatus.Open => query.Where(c => c.VolunteerId == null),
            ThankYouCallStatus.Assigned => query.Where(c => c.VolunteerId != null && c.CompletedAt == null),
            ThankYouCallStatus.Completed => query.Where(c => c.CompletedAt != null),
            _ => query,
        };

        var (calls, total) = await paging.ReadAsync(query
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id), cancellationToken);
        var sagas = await SagasOf(db, [.. calls.Select(c => c.DonorId)], cancellationToken);
        return TypedResults.Ok(new ThankYouCallPage([.. calls.Select(c => ThankYouCallResponse.From(c, sagas.GetValueOrDefault(c.DonorId)))],
            paging.Page, paging.PageSize, total));
    }

    static async Task<Results<Ok<ThankYouCallResponse>, NotFound>> GetCall(Guid id, VolunteerCoordinatorDbContext db,
        CancellationToken cancellationToken)
    {
        var call = await db.ThankYouCalls.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        return call is null ? TypedResults.NotFound() : TypedResults.Ok(await ResponseAsync(db, call, cancellationToken));
    }

    /// <summary>The donors' thank-you sagas (their deadlines), one query for a page of calls.</summary>
    static async Task<Dictionary<Guid, ThankYouCallState>> SagasOf(VolunteerCoordinatorDbContext db, Guid[] donorIds,
        CancellationToken cancellationToken) =>
        await db.ThankYouCallSagas.AsNoTracking().Where(s => donorIds.Contains(s.CorrelationId)).ToDictionaryAsync(s => s.CorrelationId, cancellationToken);

    static async Task<ThankYouCallResponse> ResponseAsync(VolunteerCoordinatorDbContext db, ThankYouCall call, CancellationToken cancellationToken) =>
        ThankYouCallResponse.From(call, (await SagasOf(db, [call.DonorId], cancellationToken)).GetValueOrDefault(call.DonorId));

    static async Task<Results<Ok<ThankYouCallResponse>, NotFound, ValidationProblem, ProblemHttpResult>> AssignCall(
        Guid id, AssignCallRequest request, VolunteerCoordinatorDbContext db, IPublishEndpoint publishEndpoint, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var call = await db.ThankYouCalls.SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (call is null)
            return TypedResults.NotFound();

        var volunteer = await db.Volunteers.AsNoTracking()
            .Where(v => v.Id == request.VolunteerId)
            .Select(v => new { v.Id, CanPhoneBank = v.Skills.Contains(VolunteerSkills.PhoneBanking) })
            .SingleOrDefaultAsync(cancellationToken);
        if (volunteer is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Volunteer not found.",
                detail: "No volunteer has the given volunteerId.");
        if (call.CompletedAt is not null)
            return AlreadyCompleted();
        if (!volunteer.CanPhoneBank)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["volunteerId"] = [$"The volunteer does not have the {VolunteerSkills.PhoneBanking} skill."],
            });
        }
        if (call.VolunteerId == volunteer.Id)
            return TypedResults.Ok(await ResponseAsync(db, call, cancellationToken));

        var now = clock.GetUtcNow();
        call.VolunteerId = volunteer.Id;
        call.AssignedAt = now;

        // Published before SaveChanges: the assignment and the event commit together through the bus outbox.
        await publishEndpoint.Publish(new ThankYouCallAssigned(call.Id, call.DonorId, volunteer.Id, now), cancellationToken);
        if (!await TrySave(db, cancellationToken))
            return ChangedConcurrently();

        LogAssigned(loggers.CreateLogger(typeof(ThankYouCallsEndpoints).FullName!), call.Id, volunteer.Id);
        return TypedResults.Ok(await ResponseAsync(db, call, cancellationToken));
    }

    static async Task<Results<Ok<ThankYouCallResponse>, NotFound, ProblemHttpResult>> CompleteCall(
        Guid id, [FromBody] CompleteCallRequest? request, VolunteerCoordinatorDbContext db, IPublishEndpoint publishEndpoint, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var call = await db.ThankYouCalls.SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (call is null)
            return TypedResults.NotFound();
        if (call.CompletedAt is not null)
            return AlreadyCompleted();
        if (call.VolunteerId is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The call is not assigned.",
                detail: "Assign the call to a volunteer before completing it.");
        }

        call.CompletedAt = clock.GetUtcNow();
        call.Notes = string.IsNullOrWhiteSpace(request?.Notes) ? null : request.Notes.Trim();

        // With the completion, through the bus outbox: it closes the donor's thank-you saga (no written thank-you follows).
        await publishEndpoint.Publish(new ThankYouCallCompleted(call.Id, call.DonorId, call.VolunteerId.Value, call.CompletedAt.Value),
            cancellationToken);
        if (!await TrySave(db, cancellationToken))
            return ChangedConcurrently();

        LogCompleted(loggers.CreateLogger(typeof(ThankYouCallsEndpoints).FullName!), call.Id, call.VolunteerId.Value);
        return TypedResults.Ok(await ResponseAsync(db, call, cancellationToken));
    }

    /// <summary>False when another request changed the call since it was read (its xmin moved).</summary>
    static async Task<bool> TrySave(VolunteerCoordinatorDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            // Nothing was written; drop the change and any unsaved event with it.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    static ProblemHttpResult AlreadyCompleted() => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
        title: "The call is already completed.", detail: "A completed call cannot be assigned or completed again.");

    static ProblemHttpResult ChangedConcurrently() => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
        title: "The call changed meanwhile.", detail: "Another request changed this call at the same time; read it again and retry.");

    [LoggerMessage(LogLevel.Information, "Thank-you call {CallId} assigned to volunteer {VolunteerId}.")]
    static partial void LogAssigned(ILogger logger, Guid callId, Guid volunteerId);

    [LoggerMessage(LogLevel.Information, "Thank-you call {CallId} completed by volunteer {VolunteerId}.")]
    static partial void LogCompleted(ILogger logger, Guid callId, Guid volunteerId);
}
