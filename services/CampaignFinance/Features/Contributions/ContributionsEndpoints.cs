using Campaign.Outbox;
using Campaign.ServiceDefaults;
using Campaign.Contracts;
using CampaignFinance.Data;
using CampaignFinance.Idempotency;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Features.Contributions;

/// <summary>Recording contributions: the first one of a donor secures them (DonorSecured), every one is ContributionReceived.</summary>
public static partial class ContributionsEndpoints
{
    public static IEndpointRouteBuilder MapContributionsEndpoints(this IEndpointRouteBuilder app)
    {
        var contributions = app.MapGroup("/donors/{donorId:guid}/contributions").WithTags("Contributions");
        contributions.MapPost("/", RecordContribution)
            .RequireScope("finance.write")
            .WithName("RecordContribution")
            .WithSummary("Records a contribution; publishes ContributionReceived, and DonorSecured for the donor's first one.")
            .WithDescription("The contribution, the donor's secured state and the events commit in one transaction. With an "
                + "`Idempotency-Key` header (1 to 100 printable ASCII characters), a retry with the same key and body answers the "
                + "first response again and records and publishes nothing; the same key with another request answers 422.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AcceptsIdempotencyKey();
        contributions.MapGet("/{contributionId:guid}", GetContribution)
            .RequireScope("finance.read")
            .WithName("GetContribution")
            .WithSummary("One contribution, with its refunds and void.");
        return app;
    }

    static async Task<Results<Created<ContributionResponse>, ValidationProblem, NotFound, ProblemHttpResult, StoredResponse>> RecordContribution(
        Guid donorId, RecordContributionRequest request, HttpRequest http, FinanceDbContext db, IdempotentRequests idempotency,
        IPublishEndpoint publishEndpoint, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        var (form, errors) = ContributionForm.Read(request, DateOnly.FromDateTime(now.UtcDateTime));
        var (key, keyErrors) = IdempotencyKey.Read(http);
        foreach (var (field, messages) in keyErrors)
            errors[field] = messages;
        if (form is null || errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var call = key is null ? null : idempotency.Describe(key, $"POST /donors/{donorId}/contributions", request);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The donor's row lock serializes this donor's contributions: a concurrent one waits here until this transaction ends,
        // then sees SecuredAt set (so only one contribution publishes DonorSecured) and any response stored under its key.
        var donor = await db.Donors
            .FromSql($"""SELECT *, xmin FROM "Donors" WHERE "Id" = {donorId} FOR UPDATE""")
            .SingleOrDefaultAsync(cancellationToken);
        if (donor is null)
            return TypedResults.NotFound();

        if (call is not null && await idempotency.FindAsync(call, cancellationToken) is { } prior)
            return prior.SameRequest ? prior.Response : IdempotentRequests.KeyReused();

        var contribution = new Contribution
        {
            Id = Guid.CreateVersion7(now),
            DonorId = donor.Id,
            Amount = form.Amount,
            Currency = form.Currency,
            ReceivedOn = form.ReceivedOn,
            Method = form.Method,
            RecordedAt = now,
        };
        db.Contributions.Add(contribution);

        // Published before SaveChanges: the bus outbox stores the events in this DbContext, so the donor's state, the
        // contribution and the events commit together, or none of them does.
        // Keyed by donor: one donor's events reach subscribers in the order they committed, whichever relay sends them.
        var donorKey = donor.Id.ToString();
        var firstContribution = donor.SecuredAt is null;
        if (firstContribution)
        {
            donor.SecuredAt = now;
            await publishEndpoint.Publish(
                new DonorSecured(donor.Id, donor.Name, donor.Email, contribution.Amount, contribution.Currency, now),
                c => c.SetOrderingKey(donorKey), cancellationToken);
        }
        await publishEndpoint.Publish(
            new ContributionReceived(contribution.Id, donor.Id, contribution.Amount, contribution.Currency, contribution.ReceivedOn,
                MethodName(contribution.Method), now),
            c => c.SetOrderingKey(donorKey), cancellationToken);

        var response = ContributionResponse.From(contribution);
        var location = $"/donors/{donor.Id}/contributions/{contribution.Id}";
        if (call is not null)
            idempotency.Record(call, StatusCodes.Status201Created, response, location);

        if (await idempotency.CommitAsync(call, transaction, cancellationToken) is { } winner)
            return winner.SameRequest ? winner.Response : IdempotentRequests.KeyReused();

        LogRecorded(loggers.CreateLogger(typeof(ContributionsEndpoints).FullName!), contribution.Id, donor.Id, firstContribution);
        return TypedResults.Created(location, response);
    }

    /// <summary>The contract carries the method as the same lower-case word the API uses.</summary>
    static string MethodName(ContributionMethod method) => method.ToString().ToLowerInvariant();

    static async Task<Results<Ok<ContributionResponse>, NotFound>> GetContribution(Guid donorId, Guid contributionId, FinanceDbContext db,
        CancellationToken cancellationToken)
    {
        var contribution = await db.Contributions.AsNoTracking().Include(c => c.Adjustments)
            .SingleOrDefaultAsync(c => c.Id == contributionId && c.DonorId == donorId, cancellationToken);
        return contribution is null ? TypedResults.NotFound() : TypedResults.Ok(ContributionResponse.From(contribution));
    }

    [LoggerMessage(LogLevel.Information, "Contribution {ContributionId} recorded for donor {DonorId} (first contribution: {FirstContribution}).")]
    static partial void LogRecorded(ILogger logger, Guid contributionId, Guid donorId, bool firstContribution);
}
