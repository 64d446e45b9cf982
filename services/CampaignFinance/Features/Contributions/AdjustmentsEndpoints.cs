using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using CampaignFinance.Idempotency;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Features.Contributions;

/// <summary>
/// Refunds and voids: ledger entries linked to a contribution, never an edit of it. Each one changes the donor's aggregates
/// and publishes its event through the outbox, in the transaction that records it.
/// </summary>
public static partial class AdjustmentsEndpoints
{
    public static IEndpointRouteBuilder MapAdjustmentsEndpoints(this IEndpointRouteBuilder app)
    {
        var contribution = app.MapGroup("/donors/{donorId:guid}/contributions/{contributionId:guid}").WithTags("Contributions")
            .RequireScope("finance.write");
        contribution.MapPost("/refunds", Refund)
            .WithName("RefundContribution")
            .WithSummary("Records a refund of all or part of a contribution; publishes ContributionRefunded.")
            .WithDescription("Without an amount, all that is left of the contribution is refunded. Refunding more than is left "
                + "(a second full refund included) or refunding a voided contribution answers 422. With an `Idempotency-Key` "
                + "header, a retry answers the first response again and refunds nothing more.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AcceptsIdempotencyKey();
        contribution.MapPost("/void", Void)
            .WithName("VoidContribution")
            .WithSummary("Voids a contribution recorded in error: it counts for nothing from now on; publishes ContributionVoided.")
            .WithDescription("A contribution is voided once; one with refunds cannot be voided (refund the rest instead): 422.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AcceptsIdempotencyKey();
        return app;
    }

    static async Task<Results<Ok<ContributionResponse>, ValidationProblem, NotFound, ProblemHttpResult, StoredResponse>> Refund(
        Guid donorId, Guid contributionId, RefundContributionRequest request, HttpRequest http, FinanceDbContext db,
        IdempotentRequests idempotency, IPublishEndpoint publishEndpoint, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var errors = new Dictionary<string, string[]>();
        if (request.Amount is { } asked && (asked <= 0m || decimal.Round(asked, 2) != asked))
            errors["amount"] = ["The amount must be more than 0, with at most two decimal places (cents)."];
        if (request.RefundedOn is null)
            errors["refundedOn"] = ["The date of the refund is required."];
        else if (request.RefundedOn > today)
            errors["refundedOn"] = [$"The date of the refund cannot be in the future (today is {today:yyyy-MM-dd}, UTC)."];
        var reason = ReadReason(request.Reason, errors);

        return await AdjustAsync(donorId, contributionId, "refunds", request, http, db, idempotency, errors, async (contribution, ledger) =>
        {
            if (ledger.State == ContributionState.Voided)
                return (null, RuleBroken("amount", "A voided contribution cannot be refunded.", "It counts for nothing already."));
            if (request.RefundedOn < contribution.ReceivedOn)
                return (null, RuleBroken("refundedOn", "A refund cannot predate the contribution.",
                    $"The contribution was received on {contribution.ReceivedOn:yyyy-MM-dd}."));
            var left = ledger.Net;
            var amount = request.Amount ?? left;
            if (left == 0m || amount > left)
            {
                return (null, RuleBroken("amount", "The refund is more than is left of the contribution.",
                    $"{contribution.Amount:0.00} {contribution.Currency} was given and {ledger.Refunded:0.00} refunded already: "
                    + $"at most {left:0.00} can be refunded."));
            }

            var refund = new ContributionAdjustment
            {
                Id = Guid.CreateVersion7(now),
                ContributionId = contribution.Id,
                DonorId = contribution.DonorId,
                Kind = AdjustmentKind.Refund,
                Amount = amount + 0.00m,
                EffectiveOn = request.RefundedOn!.Value,
                Reason = reason,
                RecordedAt = now,
            };
            await publishEndpoint.Publish(new ContributionRefunded(refund.Id, contribution.Id, contribution.DonorId, refund.Amount,
                contribution.Currency, refund.EffectiveOn, left - refund.Amount, now), c => c.SetOrderingKey(contribution.DonorId.ToString()),
                cancellationToken);
            return (refund, null);
        }, loggers, cancellationToken);
    }

    static async Task<Results<Ok<ContributionResponse>, ValidationProblem, NotFound, ProblemHttpResult, StoredResponse>> Void(
        Guid donorId, Guid contributionId, VoidContributionRequest request, HttpRequest http, FinanceDbContext db,
        IdempotentRequests idempotency, IPublishEndpoint publishEndpoint, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        var errors = new Dictionary<string, string[]>();
        var reason = ReadReason(request.Reason, errors);

        return await AdjustAsync(donorId, contributionId, "void", request, http, db, idempotency, errors, async (contribution, ledger) =>
        {
            if (ledger.State == ContributionState.Voided)
                return (null, RuleBroken(null, "The contribution is voided already.", "A contribution is voided once."));
            if (ledger.Refunded > 0m)
            {
                return (null, RuleBroken(null, "A contribution with refunds cannot be voided.",
                    $"{ledger.Refunded:0.00} {contribution.Currency} was refunded: refund the remaining {ledger.Net:0.00} instead."));
            }

            var entry = new ContributionAdjustment
            {
                Id = Guid.CreateVersion7(now),
                ContributionId = contribution.Id,
                DonorId = contribution.DonorId,
                Kind = AdjustmentKind.Void,
                Amount = contribution.Amount,
                EffectiveOn = DateOnly.FromDateTime(now.UtcDateTime),
                Reason = reason,
                RecordedAt = now,
            };
            await publishEndpoint.Publish(new ContributionVoided(contribution.Id, contribution.DonorId, contribution.Amount,
                contribution.Currency, now), c => c.SetOrderingKey(contribution.DonorId.ToString()), cancellationToken);
            return (entry, null);
        }, loggers, cancellationToken);
    }

    /// <summary>
    /// What a refund and a void share: the idempotency key, the donor's row lock (it serializes every change of one donor's
    /// ledger, so two clerks cannot both refund the last dollar), the contribution with its entries, one commit.
    /// </summary>
    static async Task<Results<Ok<ContributionResponse>, ValidationProblem, NotFound, ProblemHttpResult, StoredResponse>> AdjustAsync<TRequest>(
        Guid donorId, Guid contributionId, string action, TRequest request, HttpRequest http, FinanceDbContext db,
        IdempotentRequests idempotency, Dictionary<string, string[]> errors,
        Func<Contribution, ContributionLedger, Task<(ContributionAdjustment? Entry, ProblemHttpResult? Refusal)>> decide,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (key, keyErrors) = IdempotencyKey.Read(http);
        foreach (var (field, messages) in keyErrors)
            errors[field] = messages;
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var call = key is null ? null : idempotency.Describe(key, $"POST /donors/{donorId}/contributions/{contributionId}/{action}", request);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await db.Database
            .SqlQuery<Guid>($"""SELECT "Id" AS "Value" FROM "Donors" WHERE "Id" = {donorId} FOR UPDATE""")
            .ToListAsync(cancellationToken);
        if (locked.Count == 0)
            return TypedResults.NotFound();
        if (call is not null && await idempotency.FindAsync(call, cancellationToken) is { } prior)
            return prior.SameRequest ? prior.Response : IdempotentRequests.KeyReused();

        var contribution = await db.Contributions.Include(c => c.Adjustments)
            .SingleOrDefaultAsync(c => c.Id == contributionId && c.DonorId == donorId, cancellationToken);
        if (contribution is null)
            return TypedResults.NotFound();

        var (entry, refusal) = await decide(contribution, ContributionLedger.Of(contribution));
        if (refusal is not null)
            return refusal;
        // Tracked, it joins the loaded contribution's Adjustments too (EF's fix-up): the response below sees it.
        db.ContributionAdjustments.Add(entry!);

        var response = ContributionResponse.From(contribution);
        if (call is not null)
            idempotency.Record(call, StatusCodes.Status200OK, response, null);
        if (await idempotency.CommitAsync(call, transaction, cancellationToken) is { } winner)
            return winner.SameRequest ? winner.Response : IdempotentRequests.KeyReused();

        LogAdjusted(loggers.CreateLogger(typeof(AdjustmentsEndpoints).FullName!), entry!.Kind, contribution.Id, entry.Amount);
        return TypedResults.Ok(response);
    }

    static string ReadReason(string? value, Dictionary<string, string[]> errors)
    {
        var reason = value?.Trim() ?? "";
        if (reason.Length == 0)
            errors["reason"] = ["The reason is required."];
        else if (reason.Length > AdjustmentLimits.ReasonLength)
            errors["reason"] = [$"The reason must be at most {AdjustmentLimits.ReasonLength} characters."];
        return reason;
    }

    /// <summary>422: the request is well formed, but the ledger does not allow it; <c>errors</c> names the field when there is one.</summary>
    static ProblemHttpResult RuleBroken(string? field, string title, string detail) => TypedResults.Problem(
        new HttpValidationProblemDetails(field is null ? new Dictionary<string, string[]>() : new() { [field] = [detail] })
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Type = "https://tools.ietf.org/html/rfc4918#section-11.2",
            Title = title,
            Detail = detail,
        });

    [LoggerMessage(LogLevel.Information, "{Kind} of contribution {ContributionId} recorded ({Amount}).")]
    static partial void LogAdjusted(ILogger logger, AdjustmentKind kind, Guid contributionId, decimal amount);
}
