using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CampaignFinance.Features.Donors;
using CampaignFinance.Features.Reports;
using CsvHelper;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>
/// GET /reports/schedule-a, with answers computed by hand. 2030 is an election year (general election on Tuesday,
/// November 5), the app's "today" is 2031-06-15.
/// </summary>
public sealed class ScheduleATests(ScheduleATests.Ledger ledger) : IClassFixture<ScheduleATests.Ledger>
{
    readonly HttpClient _client = ledger.Fixture.App.CreateClient();

    [Fact]
    public async Task A_donor_crossing_200_in_the_middle_of_a_period_is_itemized_with_the_periods_contributions_only()
    {
        var report = await ReportAsync("period=2030-q2");

        Assert.Equal(("2030-q2", new DateOnly(2030, 4, 1), new DateOnly(2030, 6, 30), "USD", 200m),
            (report.Period, report.From, report.To, report.Currency, report.Threshold));
        // Avery: 150 in March (Q1, under the threshold then), 100 in May: 250 by June 30, only May's is in Q2. Emery: exactly
        // 200 on June 30. Blake (300 less a 150 refund paid in June), Dana (a voided 250 and 50) and Casey (120 this year; the
        // 500 of 2029 does not count) stay under 200.
        Assert.Equal(
            [
                (ledger.Avery.Id, 250.00m, "2030-05-20 100.00/0.00"),
                (ledger.Emery.Id, 200.00m, "2030-06-30 200.00/0.00"),
            ],
            Mine(report));
    }

    [Fact]
    public async Task A_refund_counts_from_the_day_it_is_paid_and_takes_a_donor_back_below_200()
    {
        // Blake's 300 of April 2 was refunded 150 on June 10: itemized in a report up to June 5, not in Q2.
        var beforeRefund = await ReportAsync("from=2030-04-01&to=2030-06-05");
        Assert.Equal(
            [
                (ledger.Avery.Id, 250.00m, "2030-05-20 100.00/0.00"),
                (ledger.Blake.Id, 300.00m, "2030-04-02 300.00/0.00"),
            ],
            Mine(beforeRefund));
        Assert.Null(beforeRefund.Period);

        Assert.DoesNotContain(Mine(await ReportAsync("period=2030-q2")), line => line.DonorId == ledger.Blake.Id);

        // Avery's 150 of March was refunded 60 on July 15, after Q2: Q2 still shows 250; in Q3 Avery gave nothing.
        var q3 = await ReportAsync("period=2030-q3");
        Assert.Equal([(ledger.Emery.Id, 225.00m, "2030-07-01 25.00/0.00")], Mine(q3));
    }

    [Fact]
    public async Task Two_periods_side_by_side_list_each_contribution_once_with_the_aggregate_at_each_end()
    {
        var q2 = Mine(await ReportAsync("period=2030-q2")).Single(line => line.DonorId == ledger.Emery.Id);
        var q3 = Mine(await ReportAsync("period=2030-q3")).Single(line => line.DonorId == ledger.Emery.Id);

        Assert.Equal((ledger.Emery.Id, 200.00m, "2030-06-30 200.00/0.00"), q2);
        Assert.Equal((ledger.Emery.Id, 225.00m, "2030-07-01 25.00/0.00"), q3);
        Assert.Empty(Mine(await ReportAsync("period=2030-q1"))); // Avery 150 and Casey 120 by March 31
    }

    [Fact]
    public async Task Contributions_of_the_prior_year_count_in_their_own_year_only()
    {
        Assert.Equal([(ledger.Casey.Id, 500.00m, "2029-12-20 500.00/0.00")], Mine(await ReportAsync("period=2029-year-end")));
        Assert.DoesNotContain(Mine(await ReportAsync("from=2030-01-01&to=2030-12-31")), line => line.DonorId == ledger.Casey.Id);
    }

    [Fact]
    public async Task A_voided_contribution_counts_for_nothing_and_refunds_paid_by_the_end_reduce_the_aggregate()
    {
        var year = await ReportAsync("from=2030-01-01&to=2030-12-31");
        Assert.DoesNotContain(Mine(year), line => line.DonorId == ledger.Dana.Id); // 250 voided + 50

        // Blake over the whole year: 300 less 150 is 150, under 200. Avery: 250 less 60 is 190.
        Assert.Equal([(ledger.Emery.Id, 225.00m, "2030-06-30 200.00/0.00, 2030-07-01 25.00/0.00")], Mine(year));
    }

    [Fact]
    public async Task Missing_address_employer_or_occupation_is_flagged_for_follow_up()
    {
        var report = await ReportAsync("period=2030-q2");

        var emery = report.Contributors.Single(c => c.DonorId == ledger.Emery.Id);
        Assert.Equal(["employer", "occupation"], emery.Missing);
        Assert.Null(emery.Employer);
        var avery = report.Contributors.Single(c => c.DonorId == ledger.Avery.Id);
        Assert.Empty(avery.Missing);
        Assert.Equal(new PostalAddress("12 Main Street", "Apt 4", "Springfield", "IL", "62701-1234"), avery.Address);
        Assert.Equal(("Springfield Library", "Librarian"), (avery.Employer, avery.Occupation));
    }

    [Fact]
    public async Task The_CSV_parses_back_to_the_same_lines_as_the_JSON()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/reports/schedule-a?period=2030-q2", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("schedule-a-2030-q2.csv", response.Content.Headers.ContentDisposition?.FileName);
        using var reader = new StringReader(await response.Content.ReadAsStringAsync());
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        Assert.True(await csv.ReadAsync());
        csv.ReadHeader();
        Assert.Equal(ScheduleACsv.Columns, csv.HeaderRecord);

        var lines = new List<string[]>();
        while (await csv.ReadAsync())
        {
            if (Guid.Parse(csv.GetField("donorId")!) is var donor && (donor == ledger.Avery.Id || donor == ledger.Emery.Id))
                lines.Add([.. ScheduleACsv.Columns.Select(column => csv.GetField(column) ?? "")]);
        }

        Assert.Equal(2, lines.Count);
        var avery = lines[0];
        // The name has a comma and quotes: RFC 4180 quoting brings it back whole.
        Assert.Equal(ledger.Avery.Name, avery[1]);
        Assert.Equal(["12 Main Street", "Apt 4", "Springfield", "IL", "62701-1234", "Springfield Library", "Librarian"], avery[2..9]);
        Assert.Equal(["250.00", "2030-05-20", "100.00", "0.00", ""], [avery[9], avery[11], avery[12], avery[13], avery[14]]);
        Assert.Equal(["200.00", "2030-06-30", "200.00", "0.00", "employer occupation"], [lines[1][9], lines[1][11], lines[1][12], lines[1][13], lines[1][14]]);
    }

    [Theory]
    [InlineData("", "from")]
    [InlineData("from=2030-04-01", "to")]
    [InlineData("from=2030-07-01&to=2030-04-01", "from")]
    [InlineData("from=2030-12-01&to=2031-01-31", "to")]
    [InlineData("period=2030-q4", "period")]
    [InlineData("period=2030-mid-year", "period")]
    [InlineData("period=2031-pre-general", "period")]
    [InlineData("period=2030-q2&from=2030-04-01", "period")]
    public async Task A_report_needs_a_known_period_or_days_of_one_year(string query, string field)
    {
        var response = await _client.GetAsync(new Uri($"/reports/schedule-a?{query}", UriKind.Relative));

        Assert.Contains(field, await response.ValidationErrorFieldsAsync());
    }

    [Theory]
    [InlineData("2026-pre-general", "2026-10-01", "2026-10-14")] // election on November 3, 2026
    [InlineData("2026-post-general", "2026-10-15", "2026-11-23")]
    [InlineData("2026-year-end", "2026-11-24", "2026-12-31")]
    [InlineData("2024-pre-general", "2024-10-01", "2024-10-16")] // November 5, 2024
    [InlineData("2024-post-general", "2024-10-17", "2024-11-25")]
    [InlineData("2026-q3", "2026-07-01", "2026-09-30")]
    [InlineData("2026-09", "2026-09-01", "2026-09-30")]
    [InlineData("2025-mid-year", "2025-01-01", "2025-06-30")]
    [InlineData("2025-year-end", "2025-07-01", "2025-12-31")]
    [InlineData("2028-02", "2028-02-01", "2028-02-29")]
    [InlineData("2025-12", "2025-12-01", "2025-12-31")]
    public void Named_periods_are_Form_8872s(string name, string from, string to)
    {
        var (period, error) = ReportingPeriod.Parse(name);

        Assert.Null(error);
        Assert.Equal((DateOnly.Parse(from, CultureInfo.InvariantCulture), DateOnly.Parse(to, CultureInfo.InvariantCulture)), (period!.From, period.To));
    }

    [Theory]
    [InlineData("2026-mid-year")]
    [InlineData("2025-q1")]
    [InlineData("2026-10")]
    [InlineData("2025-post-general")]
    [InlineData("2026-Q1")]
    public void Periods_the_form_does_not_have_that_year_are_refused(string name) =>
        Assert.NotNull(ReportingPeriod.Parse(name).Error);

    /// <summary>My donors' lines: (donor, year to date, "date amount/refunded" of each contribution), in report order.</summary>
    List<(Guid DonorId, decimal YearToDate, string Contributions)> Mine(ScheduleAReportLines report) =>
    [
        .. report.Contributors.Where(c => ledger.Ids.Contains(c.DonorId))
            .Select(c => (c.DonorId, c.YearToDate, string.Join(", ", c.Contributions.Select(x =>
                string.Create(CultureInfo.InvariantCulture, $"{x.ReceivedOn:yyyy-MM-dd} {x.Amount:0.00}/{x.Refunded:0.00}"))))),
    ];

    async Task<ScheduleAReportLines> ReportAsync(string query)
    {
        var response = await _client.GetAsync(new Uri($"/reports/schedule-a?{query}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ScheduleAReportLines>(Json))!;
    }

    /// <summary>The report as a client reads it (the service streams its contributors).</summary>
    public sealed record ScheduleAReportLines(string? Period, DateOnly From, DateOnly To, string Currency, decimal Threshold,
        IReadOnlyList<ScheduleAContributor> Contributors);

    /// <summary>Five donors and their 2029–2030 gifts, refunds and voids, recorded once for the class.</summary>
    public sealed class Ledger : IAsyncLifetime
    {
        public FinanceFixture Fixture { get; } = new();

        public DonorResponse Avery { get; private set; } = null!;
        public DonorResponse Blake { get; private set; } = null!;
        public DonorResponse Casey { get; private set; } = null!;
        public DonorResponse Dana { get; private set; } = null!;
        public DonorResponse Emery { get; private set; } = null!;

        public HashSet<Guid> Ids { get; } = [];

        public async Task InitializeAsync()
        {
            await Fixture.InitializeAsync();
            var client = Fixture.App.CreateClient();
            Avery = await client.RegisterDonorAsync(name: "Avery \"Ace\" Crossing, Jr.");
            Blake = await client.RegisterDonorAsync(name: "Blake Refund");
            Casey = await client.RegisterDonorAsync(name: "Casey Prior-Year");
            Dana = await client.RegisterDonorAsync(name: "Dana Void");
            var emery = await client.PostAsync("/donors", new { name = "Emery Two-Periods", email = NewEmail(),
                address = new { line1 = "3 Oak Road", city = "Austin", state = "TX", postalCode = "73301" } });
            Emery = (await emery.Content.ReadFromJsonAsync<DonorResponse>(Json))!;
            Ids.UnionWith([Avery.Id, Blake.Id, Casey.Id, Dana.Id, Emery.Id]);

            var averyMarch = await client.ContributedAsync(Avery.Id, 150m, new DateOnly(2030, 3, 10));
            await client.ContributedAsync(Avery.Id, 100m, new DateOnly(2030, 5, 20));
            Assert.Equal(HttpStatusCode.OK, (await client.RefundAsync(averyMarch, 60m, new DateOnly(2030, 7, 15))).StatusCode);

            var blakeApril = await client.ContributedAsync(Blake.Id, 300m, new DateOnly(2030, 4, 2));
            Assert.Equal(HttpStatusCode.OK, (await client.RefundAsync(blakeApril, 150m, new DateOnly(2030, 6, 10))).StatusCode);

            await client.ContributedAsync(Casey.Id, 500m, new DateOnly(2029, 12, 20));
            await client.ContributedAsync(Casey.Id, 120m, new DateOnly(2030, 2, 1));

            var danaError = await client.ContributedAsync(Dana.Id, 250m, new DateOnly(2030, 4, 15));
            Assert.Equal(HttpStatusCode.OK, (await client.VoidAsync(danaError)).StatusCode);
            await client.ContributedAsync(Dana.Id, 50m, new DateOnly(2030, 5, 1));

            await client.ContributedAsync(Emery.Id, 200m, new DateOnly(2030, 6, 30));
            await client.ContributedAsync(Emery.Id, 25m, new DateOnly(2030, 7, 1));
        }

        public Task DisposeAsync() => Fixture.DisposeAsync();
    }
}
