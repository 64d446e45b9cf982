using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Features.Contributions;

/// <summary>The contributions ledger: a donor's contributions, and every contribution filtered for the finance desk.</summary>
public static class LedgerEndpoints
{
    /// <summary>The orders the ledger can be read in; the default, newest received first, comes first.</summary>
    static readonly string[] Sorts = ["-receivedOn", "receivedOn", "-amount", "amount", "-recordedAt", "recordedAt"];

    static readonly Dictionary<string, ContributionState> States = new(StringComparer.Ordinal)
    {
        ["received"] = ContributionState.Received,
        ["partially-refunded"] = ContributionState.PartiallyRefunded,
        ["refunded"] = ContributionState.Refunded,
        ["voided"] = ContributionState.Voided,
    };

    public static IEndpointRouteBuilder MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/donors/{donorId:guid}/contributions", ListDonorContributions)
            .WithTags("Contributions")
            .RequireScope("finance.read")
            .WithName("ListDonorContributions")
            .WithSummary("A donor's contributions, newest received first, with their refunds and voids.");
        app.MapGet("/contributions", ListContributions)
            .WithTags("Contributions")
            .RequireScope("finance.read")
            .WithName("ListContributions")
            .WithSummary("The contributions ledger, filtered, sorted and paged.")
            .WithDescription("Filters (all optional, combined with AND): `receivedFrom`/`receivedTo` (dates, inclusive), "
                + "`minAmount`/`maxAmount` (inclusive), `method` (card, check, cash, wire), `state` (received, "
                + "partially-refunded, refunded, voided), `zip` (the donor's ZIP code: five digits match every ZIP+4 of it), "
                + $"`employer` (a part of the donor's employer, case-insensitive). `sort`: {string.Join(", ", Sorts)} "
                + "(a leading - for descending; default -receivedOn). Pages as every list: `page` from 1, `pageSize` 1 to 100.");
        return app;
    }

    static async Task<Results<Ok<ContributionPage>, NotFound, ValidationProblem>> ListDonorContributions(Guid donorId, int? page, int? pageSize,
        FinanceDbContext db, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.Donors.AnyAsync(d => d.Id == donorId, cancellationToken))
            return TypedResults.NotFound();

        var query = db.Contributions.AsNoTracking().Include(c => c.Adjustments).Where(c => c.DonorId == donorId);
        var (items, total) = await paging.ReadAsync(Sort(query, null), cancellationToken);
        return TypedResults.Ok(new ContributionPage([.. items.Select(ContributionResponse.From)], paging.Page, paging.PageSize, total));
    }

    static async Task<Results<Ok<ContributionPage>, ValidationProblem>> ListContributions(
        DateOnly? receivedFrom, DateOnly? receivedTo, decimal? minAmount, decimal? maxAmount, string? method, string? state, string? zip,
        string? employer, string? sort, int? page, int? pageSize, FinanceDbContext db, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        if (receivedFrom > receivedTo)
            errors["receivedFrom"] = ["'receivedFrom' must not be after 'receivedTo'."];
        if (minAmount > maxAmount)
            errors["minAmount"] = ["'minAmount' must not be more than 'maxAmount'."];
        ContributionMethod? paidBy = null;
        if (method is not null)
        {
            // One name exactly: Enum.TryParse would read "card,check" as the flags Card | Check, which is Cash.
            if (Enum.GetValues<ContributionMethod>().FirstOrDefault(m => string.Equals(m.ToString(), method, StringComparison.OrdinalIgnoreCase))
                is var parsed && parsed != default)
                paidBy = parsed;
            else
                errors["method"] = ["Unknown method. Use one of: card, check, cash, wire."];
        }
        ContributionState? inState = null;
        if (state is not null)
        {
            if (States.TryGetValue(state, out var known))
                inState = known;
            else
                errors["state"] = [$"Unknown state. Use one of: {string.Join(", ", States.Keys)}."];
        }
        if (zip is not null && !IsZip(zip))
            errors["zip"] = ["The ZIP code must be five digits (12345) or ZIP+4 (12345-6789)."];
        if (sort is not null && !Sorts.Contains(sort))
            errors["sort"] = [$"Unknown order. Use one of: {string.Join(", ", Sorts)}."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = db.Contributions.AsNoTracking().Include(c => c.Adjustments).AsQueryable();
        if (receivedFrom is { } from)
            query = query.Where(c => c.ReceivedOn >= from);
        if (receivedTo is { } to)
            query = query.Where(c => c.ReceivedOn <= to);
        if (minAmount is { } min)
            query = query.Where(c => c.Amount >= min);
        if (maxAmount is { } max)
            query = query.Where(c => c.Amount <= max);
        if (paidBy is { } paid)
            query = query.Where(c => c.Method == paid);
        if (inState is { } wanted)
            query = InState(query, wanted);
        if (zip is not null)
            query = query.Where(c => db.Donors.Any(d => d.Id == c.DonorId && d.PostalCode != null && d.PostalCode.StartsWith(zip)));
        if (!string.IsNullOrWhiteSpace(employer))
        {
            var pattern = TextSearch.Containing(employer);
            query = query.Where(c => db.Donors.Any(d => d.Id == c.DonorId && d.Employer != null && EF.Functions.ILike(d.Employer, pattern, TextSearch.Escape)));
        }

        var (items, total) = await paging.ReadAsync(Sort(query, sort), cancellationToken);
        return TypedResults.Ok(new ContributionPage([.. items.Select(ContributionResponse.From)], paging.Page, paging.PageSize, total));
    }

    /// <summary>12345 or 12345-6789.</summary>
    static bool IsZip(string zip) =>
        zip.Length is 5 or 10 && zip[..5].All(char.IsAsciiDigit) && (zip.Length == 5 || (zip[5] == '-' && zip[6..].All(char.IsAsciiDigit)));

    /// <summary>The state as SQL: the same rules as <see cref="ContributionLedger.Of"/>.</summary>
    static IQueryable<Contribution> InState(IQueryable<Contribution> query, ContributionState state) => state switch
    {
        ContributionState.Voided => query.Where(c => c.Adjustments.Any(a => a.Kind == AdjustmentKind.Void)),
        ContributionState.Received => query.Where(c => !c.Adjustments.Any()),
        ContributionState.Refunded => query.Where(c => !c.Adjustments.Any(a => a.Kind == AdjustmentKind.Void)
            && c.Adjustments.Where(a => a.Kind == AdjustmentKind.Refund).Sum(a => a.Amount) == c.Amount),
        _ => query.Where(c => !c.Adjustments.Any(a => a.Kind == AdjustmentKind.Void) && c.Adjustments.Any()
            && c.Adjustments.Where(a => a.Kind == AdjustmentKind.Refund).Sum(a => a.Amount) < c.Amount),
    };

    /// <summary>The order asked for, then newest recorded first, then by id: a page boundary never depends on the database's whim.</summary>
    static IQueryable<Contribution> Sort(IQueryable<Contribution> query, string? sort) => (sort ?? Sorts[0]) switch
    {
        "receivedOn" => query.OrderBy(c => c.ReceivedOn).ThenBy(c => c.RecordedAt).ThenBy(c => c.Id),
        "-amount" => query.OrderByDescending(c => c.Amount).ThenByDescending(c => c.ReceivedOn).ThenByDescending(c => c.Id),
        "amount" => query.OrderBy(c => c.Amount).ThenBy(c => c.ReceivedOn).ThenBy(c => c.Id),
        "-recordedAt" => query.OrderByDescending(c => c.RecordedAt).ThenByDescending(c => c.Id),
        "recordedAt" => query.OrderBy(c => c.RecordedAt).ThenBy(c => c.Id),
        _ => query.OrderByDescending(c => c.ReceivedOn).ThenByDescending(c => c.RecordedAt).ThenByDescending(c => c.Id),
    };
}
