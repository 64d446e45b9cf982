using System.Globalization;
using System.Runtime.CompilerServices;
using CampaignFinance.Data;
using CampaignFinance.Features.Donors;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace CampaignFinance.Features.Reports;

/// <summary>
/// Form 8872 Schedule A for a reporting period: each contributor whose calendar-year aggregate reaches the itemization
/// threshold by the period's end, with every contribution received in the period. Read with one query and streamed, as JSON
/// or as CSV, so a year of contributions never sits in memory.
/// </summary>
public static class ScheduleA
{
    public const string CsvMediaType = "text/csv";

    public static async Task<Results<Ok<ScheduleAReport>, ScheduleACsv, ValidationProblem>> Get(string? period, DateOnly? from, DateOnly? to,
        HttpRequest http, FinanceDbContext db)
    {
        var (range, errors) = ReadRange(period, from, to);
        if (range is null)
            return TypedResults.ValidationProblem(errors);

        var contributors = Contributors(db, range.From, range.To, http.HttpContext.RequestAborted);
        if (WantsCsv(http))
            return new ScheduleACsv(range, contributors);
        return TypedResults.Ok(new ScheduleAReport(range.Name, range.From, range.To, Currencies.UsDollar, ReportsEndpoints.ItemizationThreshold,
            contributors));
    }

    static (ReportingPeriod? Range, Dictionary<string, string[]> Errors) ReadRange(string? period, DateOnly? from, DateOnly? to)
    {
        var errors = new Dictionary<string, string[]>();
        if (period is not null)
        {
            if (from is not null || to is not null)
                errors["period"] = ["Give either a period or from and to, not both."];
            var (named, error) = ReportingPeriod.Parse(period);
            if (error is not null)
                errors["period"] = [error];
            return (errors.Count == 0 ? named : null, errors);
        }
        if (from is null)
            errors["from"] = ["Give a period (such as 2026-q3) or the first day (from) and last day (to) of the report."];
        if (to is null)
            errors["to"] = ["Give a period (such as 2026-q3) or the first day (from) and last day (to) of the report."];
        if (from is { } first && to is { } last)
        {
            if (first > last)
                errors["from"] = ["'from' must not be after 'to'."];
            else if (first.Year != last.Year)
                errors["to"] = ["A report covers days of one calendar year: the aggregate that decides itemization is the calendar year's."];
        }
        return (errors.Count == 0 ? new ReportingPeriod(null, from!.Value, to!.Value) : null, errors);
    }

    /// <summary>CSV when the caller accepts text/csv and does not rank JSON above it.</summary>
    static bool WantsCsv(HttpRequest http)
    {
        var accept = http.GetTypedHeaders().Accept;
        var csv = accept.FirstOrDefault(a => a.MediaType.Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase));
        if (csv is null || csv.Quality == 0)
            return false;
        var json = accept.FirstOrDefault(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        return json is null || (json.Quality ?? 1) < (csv.Quality ?? 1);
    }

    /// <summary>
    /// The itemized contributors in name order. A contribution counts for its amount less the refunds paid by the period's
    /// end; a voided one (an entry error) counts for nothing and is not listed. Contributions in other currencies are not
    /// on the form.
    /// </summary>
    static async IAsyncEnumerable<ScheduleAContributor> Contributors(FinanceDbContext db, DateOnly from, DateOnly to,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var yearStart = new DateOnly(from.Year, 1, 1);
        var threshold = ReportsEndpoints.ItemizationThreshold;
        var rows = db.Database.SqlQuery<ScheduleARow>($"""
            WITH refunds AS (
                SELECT "ContributionId", sum("Amount") AS "Refunded"
                FROM "ContributionAdjustments"
                WHERE "Kind" = 'refund' AND "EffectiveOn" <= {to}
                GROUP BY "ContributionId"),
            year AS (
                SELECT c."Id", c."DonorId", c."ReceivedOn", c."Amount", coalesce(r."Refunded", 0) AS "Refunded"
                FROM "Contributions" c
                LEFT JOIN refunds r ON r."ContributionId" = c."Id"
                WHERE c."Currency" = 'USD' AND c."ReceivedOn" BETWEEN {yearStart} AND {to}
                  AND NOT EXISTS (SELECT 1 FROM "ContributionAdjustments" v WHERE v."ContributionId" = c."Id" AND v."Kind" = 'void')),
            itemized AS (
                SELECT "DonorId", sum("Amount" - "Refunded") AS "Aggregate"
                FROM year
                GROUP BY "DonorId"
                HAVING sum("Amount" - "Refunded") >= {threshold} AND bool_or("ReceivedOn" >= {from}))
            SELECT d."Id" AS "DonorId", d."Name", d."AddressLine1", d."AddressLine2", d."City", d."State", d."PostalCode",
                   d."Employer", d."Occupation", i."Aggregate", y."Id" AS "ContributionId", y."ReceivedOn", y."Amount", y."Refunded"
            FROM itemized i
            JOIN "Donors" d ON d."Id" = i."DonorId"
            JOIN year y ON y."DonorId" = i."DonorId" AND y."ReceivedOn" >= {from}
            ORDER BY d."Name", d."Id", y."ReceivedOn", y."Id"
            """).AsAsyncEnumerable();

        ScheduleARow? first = null;
        var contributions = new List<ScheduleAContribution>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            // Rows come grouped by donor: a new donor closes the previous one's entry.
            if (row.DonorId != first?.DonorId)
            {
                if (first is not null)
                {
                    yield return Contributor(first, contributions);
                    contributions = [];
                }
                first = row;
            }
            contributions.Add(new ScheduleAContribution(row.ContributionId, row.ReceivedOn, row.Amount, row.Refunded + 0.00m));
        }
        if (first is not null)
            yield return Contributor(first, contributions);
    }

    static ScheduleAContributor Contributor(ScheduleARow row, List<ScheduleAContribution> contributions)
    {
        var address = PostalAddress.Of(row.AddressLine1, row.AddressLine2, row.City, row.State, row.PostalCode);
        List<string> missing = [];
        if (address is null)
            missing.Add("address");
        if (row.Employer is null)
            missing.Add("employer");
        if (row.Occupation is null)
            missing.Add("occupation");
        return new ScheduleAContributor(row.DonorId, row.Name, address, row.Employer, row.Occupation, row.Aggregate + 0.00m, contributions, missing);
    }

    /// <summary>One contribution of an itemized contributor, as the query returns it.</summary>
    sealed class ScheduleARow
    {
        public Guid DonorId { get; set; }
        public required string Name { get; set; }
        public string? AddressLine1 { get; set; }
        public string? AddressLine2 { get; set; }
        public string? City { get; set; }
        public string? State { get; set; }
        public string? PostalCode { get; set; }
        public string? Employer { get; set; }
        public string? Occupation { get; set; }
        public decimal Aggregate { get; set; }
        public Guid ContributionId { get; set; }
        public DateOnly ReceivedOn { get; set; }
        public decimal Amount { get; set; }
        public decimal Refunded { get; set; }
    }
}

/// <summary>Schedule A as CSV (RFC 4180): one line per contribution, the contributor's columns repeated on each.</summary>
public sealed class ScheduleACsv(ReportingPeriod period, IAsyncEnumerable<ScheduleAContributor> contributors) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public static readonly string[] Columns =
    [
        "donorId", "name", "addressLine1", "addressLine2", "city", "state", "zip", "employer", "occupation", "yearToDate",
        "contributionId", "receivedOn", "amount", "refunded", "missing",
    ];

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => $"{ScheduleA.CsvMediaType}; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        var fileName = $"schedule-a-{period.Name ?? $"{period.From:yyyy-MM-dd}-{period.To:yyyy-MM-dd}"}.csv";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = fileName }.ToString();

        await using var text = new StreamWriter(response.Body, new System.Text.UTF8Encoding(false), bufferSize: 16 * 1024);
        await using var csv = new CsvWriter(text, CultureInfo.InvariantCulture);
        foreach (var column in Columns)
            csv.WriteField(column);
        await csv.NextRecordAsync();

        var lines = 0;
        await foreach (var contributor in contributors.WithCancellation(httpContext.RequestAborted))
        {
            var address = contributor.Address;
            foreach (var contribution in contributor.Contributions)
            {
                csv.WriteField(contributor.DonorId);
                csv.WriteField(contributor.Name);
                csv.WriteField(address?.Line1);
                csv.WriteField(address?.Line2);
                csv.WriteField(address?.City);
                csv.WriteField(address?.State);
                csv.WriteField(address?.PostalCode);
                csv.WriteField(contributor.Employer);
                csv.WriteField(contributor.Occupation);
                csv.WriteField(contributor.YearToDate.ToString("0.00", CultureInfo.InvariantCulture));
                csv.WriteField(contribution.ContributionId);
                csv.WriteField(contribution.ReceivedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                csv.WriteField(contribution.Amount.ToString("0.00", CultureInfo.InvariantCulture));
                csv.WriteField(contribution.Refunded.ToString("0.00", CultureInfo.InvariantCulture));
                csv.WriteField(string.Join(' ', contributor.Missing));
                await csv.NextRecordAsync();
                // Sent as it is written: a large report goes out in pieces, never held whole.
                if (++lines % 1000 == 0)
                    await text.FlushAsync(httpContext.RequestAborted);
            }
        }
    }
}
