using Campaign.ServiceDefaults;
using Campaign.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Features.Volunteers;

/// <summary>Sign-ups and the volunteer list.</summary>
public static partial class VolunteersEndpoints
{
    public static IEndpointRouteBuilder MapVolunteersEndpoints(this IEndpointRouteBuilder app)
    {
        var volunteers = app.MapGroup("/volunteers").WithTags("Volunteers");
        // Sign-ups come through the campaign website's server (its own client), not straight from browsers: the API stays
        // closed to anonymous callers, and the website keeps its form's spam protection.
        volunteers.MapPost("/", SignUp)
            .RequireScope("volunteers.write")
            .WithName("SignUpVolunteer")
            .WithSummary("Signs a volunteer up and publishes VolunteerSignedUp.")
            .WithDescription("An address that is already signed up (compared case-insensitively) answers 409 with the existing "
                + "volunteer's id in the problem's `volunteer` extension, and publishes nothing.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        volunteers.MapGet("/", ListVolunteers)
            .RequireScope("volunteers.read")
            .WithName("ListVolunteers")
            .WithSummary("Lists volunteers in sign-up order, optionally only those with a skill.");
        volunteers.MapGet("/{id:guid}", GetVolunteer)
            .RequireScope("volunteers.read")
            .WithName("GetVolunteer")
            .WithSummary("One volunteer.");
        return app;
    }

    static async Task<Results<Created<VolunteerResponse>, ValidationProblem, ProblemHttpResult>> SignUp(
        SignUpRequest request, VolunteerCoordinatorDbContext db, IPublishEndpoint publishEndpoint, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (form, errors) = SignUpForm.Read(request);
        if (form is null)
            return TypedResults.ValidationProblem(errors);

        var existing = await FindByEmail(db, form.NormalizedEmail, cancellationToken);
        if (existing is not null)
            return AlreadySignedUp(existing.Value);

        var now = clock.GetUtcNow();
        var volunteer = new Volunteer
        {
            Id = Guid.CreateVersion7(now),
            Name = form.Name,
            Email = form.Email,
            NormalizedEmail = form.NormalizedEmail,
            Phone = form.Phone,
            Skills = form.Skills,
            Availability = form.Availability,
            SignedUpAt = now,
        };
        db.Volunteers.Add(volunteer);

        // Published before SaveChanges: the bus outbox stores the message in this DbContext, so the volunteer and the event
        // commit together (or, on a duplicate address, neither does).
        await publishEndpoint.Publish(
            new VolunteerSignedUp(volunteer.Id, volunteer.Name, volunteer.Email, volunteer.Skills, now), cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent sign-up with the same address committed first. Forget the volunteer and the unsaved event.
            db.ChangeTracker.Clear();
            var winner = await FindByEmail(db, form.NormalizedEmail, cancellationToken);
            if (winner is null)
                throw;
            return AlreadySignedUp(winner.Value);
        }

        LogSignedUp(loggers.CreateLogger(typeof(VolunteersEndpoints).FullName!), volunteer.Id);
        return TypedResults.Created($"/volunteers/{volunteer.Id}", VolunteerResponse.From(volunteer));
    }

    static Task<Guid?> FindByEmail(VolunteerCoordinatorDbContext db, string normalizedEmail, CancellationToken cancellationToken) =>
        db.Volunteers.Where(v => v.NormalizedEmail == normalizedEmail).Select(v => (Guid?)v.Id).SingleOrDefaultAsync(cancellationToken);

    /// <summary>409 naming the volunteer who holds the address by id only: the caller may not be that person.</summary>
    static ProblemHttpResult AlreadySignedUp(Guid volunteerId) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        Title = "This email address is already signed up.",
        Detail = "A volunteer with this email address exists; see the 'volunteer' extension.",
        Extensions = { ["volunteer"] = new ExistingVolunteer(volunteerId, $"/volunteers/{volunteerId}") },
    });

    static async Task<Results<Ok<VolunteerPage>, ValidationProblem>> ListVolunteers(
        string? skill, int? page, int? pageSize, VolunteerCoordinatorDbContext db, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (skill is not null && !VolunteerSkills.All.Contains(skill))
            errors["skill"] = [$"Unknown skill. Use one of: {string.Join(", ", VolunteerSkills.All)}."];
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = db.Volunteers.AsNoTracking();
        if (skill is not null)
            query = query.Where(v => v.Skills.Contains(skill));

        var (volunteers, total) = await paging.ReadAsync(query
            .OrderBy(v => v.SignedUpAt).ThenBy(v => v.Id), cancellationToken);
        return TypedResults.Ok(new VolunteerPage([.. volunteers.Select(VolunteerResponse.From)], paging.Page, paging.PageSize, total));
    }

    static async Task<Results<Ok<VolunteerResponse>, NotFound>> GetVolunteer(Guid id, VolunteerCoordinatorDbContext db,
        CancellationToken cancellationToken)
    {
        var volunteer = await db.Volunteers.AsNoTracking().SingleOrDefaultAsync(v => v.Id == id, cancellationToken);
        return volunteer is null ? TypedResults.NotFound() : TypedResults.Ok(VolunteerResponse.From(volunteer));
    }

    [LoggerMessage(LogLevel.Information, "Volunteer {VolunteerId} signed up.")]
    static partial void LogSignedUp(ILogger logger, Guid volunteerId);
}
