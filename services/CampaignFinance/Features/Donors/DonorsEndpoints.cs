using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using CampaignFinance.Idempotency;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Features.Donors;

/// <summary>Donor registration, a donor with their totals, and the donor list.</summary>
public static partial class DonorsEndpoints
{
    public static IEndpointRouteBuilder MapDonorsEndpoints(this IEndpointRouteBuilder app)
    {
        var donors = app.MapGroup("/donors").WithTags("Donors");
        donors.MapPost("/", RegisterDonor)
            .RequireScope("finance.write")
            .WithName("RegisterDonor")
            .WithSummary("Registers a donor.")
            .WithDescription("An address that is already registered (compared case-insensitively) answers 409 with the existing "
                + "donor's id in the problem's `donorId` extension. A donor without email (a check or cash gift) whose name and ZIP "
                + "code match registered donors answers 409 with their ids in `possibleDuplicates`: record the gift under one of "
                + "them, or send `confirmedNewDonor: true` for someone else. With an `Idempotency-Key` header (1 to 100 printable "
                + "ASCII characters), a retry with the same key and body answers the first response again and registers nobody; "
                + "the same key with another request answers 422.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AcceptsIdempotencyKey();
        donors.MapGet("/", async Task<IResult> (int? page, int? pageSize, HttpRequest http, FinanceDbContext db, CancellationToken cancellationToken) =>
                PersonalDataInUrl.Refuse(http, "/donors/search", "name", "email")
                ?? await ListDonors(new DonorSearch(null, null, page, pageSize), db, cancellationToken))
            .Produces<DonorPage>()
            .ProducesValidationProblem()
            .RequireScope("finance.read")
            .WithName("ListDonors")
            .WithSummary("Lists donors in registration order.");

        // Names and addresses are personal data: they go in a body, never in a URL that proxies and access logs keep.
        donors.MapPost("/search", ListDonors)
            .RequireScope("finance.read")
            .WithName("SearchDonors")
            .WithSummary("Lists donors in registration order, filtered by name (contains, case-insensitive) and email (exact, case-insensitive).");
        donors.MapGet("/{id:guid}", GetDonor)
            .RequireScope("finance.read")
            .WithName("GetDonor")
            .WithSummary("One donor with lifetime and year-to-date totals per currency; the ETag header is the version a correction names.");
        donors.MapPatch("/{id:guid}", DonorCorrections.Correct)
            .RequireScope("finance.write")
            .Accepts<CorrectDonorRequest>("application/merge-patch+json", "application/json")
            .WithName("CorrectDonor")
            .WithSummary("Corrects a donor's name, address, employer or occupation; publishes DonorUpdated.")
            .WithDescription("A JSON merge patch (RFC 7396): only the fields present change, null removes an optional one. "
                + "`If-Match` must carry the ETag of the donor as read (GET /donors/{id}): without it 428, with an older one 412 "
                + "(someone corrected the donor since; read it again). Answers the corrected donor and its new ETag.")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired);
        return app;
    }

    static async Task<Results<Created<DonorResponse>, ValidationProblem, ProblemHttpResult, StoredResponse>> RegisterDonor(
        RegisterDonorRequest request, HttpRequest http, FinanceDbContext db, IdempotentRequests idempotency, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (form, errors) = DonorForm.Read(request);
        var (key, keyErrors) = IdempotencyKey.Read(http);
        foreach (var (field, messages) in keyErrors)
            errors[field] = messages;
        if (form is null || errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var call = key is null ? null : idempotency.Describe(key, "POST /donors", request);
        if (call is not null && await idempotency.FindAsync(call, cancellationToken) is { } prior)
            return prior.SameRequest ? prior.Response : IdempotentRequests.KeyReused();

        var existing = form.NormalizedEmail is null ? null : await FindByEmail(db, form.NormalizedEmail, cancellationToken);
        if (existing is not null)
        {
            // The holder may be this very request, sent concurrently under the same key and committed since the look-up
            // above: the donor and the stored response commit together, so seeing one means the other is visible too.
            if (call is not null && await idempotency.FindAsync(call, cancellationToken) is { } committed)
                return committed.SameRequest ? committed.Response : IdempotentRequests.KeyReused();
            return AlreadyRegistered(existing.Value);
        }

        var normalizedName = DonorForm.NormalizeName(form.Name);
        if (form.Email is null && request.ConfirmedNewDonor is not true
            && await PossibleDuplicates(db, normalizedName, DonorForm.Zip5(form.Address?.PostalCode), cancellationToken) is { Count: > 0 } matches)
            return PossibleDuplicate(matches);

        var now = clock.GetUtcNow().ToMicroseconds();
        var donor = new Donor
        {
            Id = Guid.CreateVersion7(now),
            Name = form.Name,
            NormalizedName = normalizedName,
            Email = form.Email,
            NormalizedEmail = form.NormalizedEmail,
            AddressLine1 = form.Address?.Line1,
            AddressLine2 = form.Address?.Line2,
            City = form.Address?.City,
            State = form.Address?.State,
            PostalCode = form.Address?.PostalCode,
            Employer = form.Employer,
            Occupation = form.Occupation,
            RegisteredAt = now,
        };
        db.Donors.Add(donor);
        var response = DonorResponse.From(donor);
        var location = $"/donors/{donor.Id}";
        if (call is not null)
            idempotency.Record(call, StatusCodes.Status201Created, response, location);

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (IdempotentRequests.IsUniqueViolation(exception))
        {
            // A concurrent request committed first: the same key (answer with its response) or the same address (409).
            db.ChangeTracker.Clear();
            if (call is not null && await idempotency.FindAsync(call, cancellationToken) is { } winner)
                return winner.SameRequest ? winner.Response : IdempotentRequests.KeyReused();
            var holder = form.NormalizedEmail is null ? null : await FindByEmail(db, form.NormalizedEmail, cancellationToken);
            if (holder is null)
                throw;
            return AlreadyRegistered(holder.Value);
        }

        LogRegistered(loggers.CreateLogger(typeof(DonorsEndpoints).FullName!), donor.Id);
        return TypedResults.Created(location, response);
    }

    static Task<Guid?> FindByEmail(FinanceDbContext db, string normalizedEmail, CancellationToken cancellationToken) =>
        db.Donors.Where(d => d.NormalizedEmail == normalizedEmail).Select(d => (Guid?)d.Id).SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Donors of the same normalized name and five-digit ZIP: a second registration of one person would split their
    /// aggregate, and Form 8872 itemizes by aggregate. Without a ZIP there is nothing to compare beyond a common name.
    /// </summary>
    static async Task<List<Guid>> PossibleDuplicates(FinanceDbContext db, string normalizedName, string? zip5, CancellationToken cancellationToken)
    {
        if (zip5 is null)
            return [];
        return await db.Donors.AsNoTracking()
            .Where(d => d.NormalizedName == normalizedName && d.PostalCode != null && d.PostalCode.StartsWith(zip5))
            .OrderBy(d => d.RegisteredAt).Select(d => d.Id).Take(10)
            .ToListAsync(cancellationToken);
    }

    static ProblemHttpResult PossibleDuplicate(List<Guid> matches) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        Title = "A donor with the same name and ZIP code is already registered.",
        Detail = "Record the contribution under the donor in 'possibleDuplicates', or register again with 'confirmedNewDonor': true "
            + "if this is another person.",
        Extensions = { ["possibleDuplicates"] = matches },
    });

    /// <summary>409 naming the donor who holds the address by id only: the caller may not be that person.</summary>
    static ProblemHttpResult AlreadyRegistered(Guid donorId) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        Title = "A donor with this email address is already registered.",
        Detail = "See the 'donorId' extension for the existing donor.",
        Extensions = { ["donorId"] = donorId },
    });

    static async Task<Results<Ok<DonorPage>, ValidationProblem>> ListDonors(
        DonorSearch search, FinanceDbContext db, CancellationToken cancellationToken)
    {
        var (name, email, page, pageSize) = search;
        var errors = new Dictionary<string, string[]>();
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = db.Donors.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(name))
        {
            var pattern = TextSearch.Containing(name);
            query = query.Where(d => EF.Functions.ILike(d.Name, pattern, TextSearch.Escape));
        }
        if (!string.IsNullOrWhiteSpace(email))
        {
            var normalized = DonorForm.Normalize(email);
            query = query.Where(d => d.NormalizedEmail == normalized);
        }

        var (donors, total) = await paging.ReadAsync(query
            .OrderBy(d => d.RegisteredAt).ThenBy(d => d.Id), cancellationToken);
        return TypedResults.Ok(new DonorPage([.. donors.Select(DonorResponse.From)], paging.Page, paging.PageSize, total));
    }

    static async Task<Results<Ok<DonorDetails>, NotFound>> GetDonor(Guid id, FinanceDbContext db, TimeProvider clock, HttpResponse http,
        CancellationToken cancellationToken)
    {
        var donor = await db.Donors.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (donor is null)
            return TypedResults.NotFound();
        http.Headers.ETag = DonorCorrections.ETagOf(donor);

        // The year is the clock's (UTC) year: never behind a US time zone, so a contribution received "today" counts.
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var yearStart = new DateOnly(today.Year, 1, 1);
        // Refunds and voids are ledger entries of their own: a contribution counts for its amount less theirs.
        var sums = await db.Contributions.AsNoTracking()
            .Where(c => c.DonorId == id)
            .Select(c => new { c.Currency, c.ReceivedOn, Net = c.Amount - c.Adjustments.Sum(a => a.Amount) })
            .GroupBy(c => c.Currency)
            .Select(g => new DonorTotal(
                g.Key,
                g.Sum(c => c.Net),
                g.Sum(c => c.ReceivedOn >= yearStart && c.ReceivedOn <= today ? c.Net : 0m)))
            .ToListAsync(cancellationToken);

        var totals = Currencies.Accepted.Union(sums.Select(s => s.Currency))
            .Select(currency => sums.SingleOrDefault(s => s.Currency == currency) ?? new DonorTotal(currency, 0.00m, 0.00m))
            .ToList();
        var response = DonorResponse.From(donor);
        return TypedResults.Ok(new DonorDetails(response.Id, response.Name, response.Email, response.Address, response.Employer,
            response.Occupation, response.RegisteredAt, response.SecuredAt, today, totals));
    }

    [LoggerMessage(LogLevel.Information, "Donor {DonorId} registered.")]
    static partial void LogRegistered(ILogger logger, Guid donorId);
}
