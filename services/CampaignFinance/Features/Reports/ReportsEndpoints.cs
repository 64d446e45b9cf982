using Campaign.ServiceDefaults;
using CampaignFinance.Data;
using CampaignFinance.Features.Donors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Features.Reports;

/// <summary>Compliance reports.</summary>
public static class ReportsEndpoints
{
    /// <summary>Form 8872: a 527 organization itemizes contributors whose contributions aggregate $200 or more in the calendar year.</summary>
    public const decimal ItemizationThreshold = 200m;

    const int FirstYear = 2000;
    const int LastYear = 2100;

    public static IEndpointRouteBuilder MapReportsEndpoints(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/reports").WithTags("Reports").RequireScope("finance.reports");
        reports.MapGet("/itemized-contributors", ItemizedContributors)
            .WithName("ItemizedContributors")
            .WithSummary("Donors whose contributions received in a calendar year total 200 USD or more (IRS Form 8872 itemization), with employer and occupation.")
            .WithDescription("Refunds reduce a contribution; voided contributions count for nothing.");
        reports.MapGet("/schedule-a", ScheduleA.Get)
            .WithName("ScheduleA")
            .WithSummary("Form 8872 Schedule A for a reporting period: itemized contributors with each contribution of the period, as JSON or CSV.")
            .WithDescription("The period by name (`period`: YYYY-q1, -q2, -q3, -mid-year, -pre-general, -post-general, -year-end, "
                + "or a month YYYY-MM, as Form 8872 defines them for election and other years) or by `from` and `to` (days of one "
                + "calendar year). A contributor is listed when the calendar-year aggregate (contributions received from January 1, "
                + "less refunds paid by the period's end; voided ones count for nothing) reaches 200 USD by the period's end and a "
                + "contribution was received in the period; `missing` names what the form asks for and the record lacks (the "
                + "best-efforts follow-up list). `Accept: text/csv` answers RFC 4180 CSV, one line per contribution. Streamed.");
        return app;
    }

    static async Task<Results<Ok<ItemizedContributorsReport>, ValidationProblem>> ItemizedContributors(int? year, FinanceDbContext db,
        CancellationToken cancellationToken)
    {
        if (year is not (>= FirstYear and <= LastYear))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["year"] = [$"The year is required, from {FirstYear} to {LastYear}."],
            });
        }

        var from = new DateOnly(year.Value, 1, 1);
        var to = new DateOnly(year.Value, 12, 31);
        var totals = db.Contributions.AsNoTracking()
            .Where(c => c.Currency == Currencies.UsDollar && c.ReceivedOn >= from && c.ReceivedOn <= to
                && !c.Adjustments.Any(a => a.Kind == AdjustmentKind.Void))
            .Select(c => new { c.DonorId, Net = c.Amount - c.Adjustments.Sum(a => a.Amount) })
            .GroupBy(c => c.DonorId)
            .Select(g => new { DonorId = g.Key, Total = g.Sum(c => c.Net), Count = g.Count() })
            .Where(t => t.Total >= ItemizationThreshold);
        var rows = await (
                from total in totals
                join donor in db.Donors.AsNoTracking() on total.DonorId equals donor.Id
                orderby total.Total descending, donor.Name, donor.Id
                select new { Donor = donor, total.Total, total.Count })
            .ToListAsync(cancellationToken);

        var contributors = rows
            .Select(r => new ItemizedContributor(r.Donor.Id, r.Donor.Name, PostalAddress.From(r.Donor), r.Donor.Employer, r.Donor.Occupation,
                r.Total, r.Count))
            .ToList();
        return TypedResults.Ok(new ItemizedContributorsReport(year.Value, Currencies.UsDollar, ItemizationThreshold, contributors));
    }
}
