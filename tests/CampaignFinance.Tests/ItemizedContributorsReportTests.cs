using System.Net;
using System.Net.Http.Json;
using CampaignFinance.Features.Donors;
using CampaignFinance.Features.Reports;
using static CampaignFinance.Tests.FinanceRequests;

namespace CampaignFinance.Tests;

/// <summary>GET /reports/itemized-contributors: donors whose contributions received in the year total 200 USD or more.</summary>
public sealed class ItemizedContributorsReportTests(FinanceFixture fixture) : IClassFixture<FinanceFixture>
{
    readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task Donors_whose_contributions_in_the_year_reach_200_USD_are_itemized()
    {
        var under = await DonorGivingAsync((199.99m, new DateOnly(2030, 3, 1)));
        var exactly = await DonorGivingAsync((150m, new DateOnly(2030, 1, 1)), (50m, new DateOnly(2030, 12, 31)));
        var over = await DonorGivingAsync((1000m, new DateOnly(2030, 7, 4)));
        var otherYear = await DonorGivingAsync((500m, new DateOnly(2029, 12, 31)), (100m, new DateOnly(2030, 6, 1)));
        var acrossYears = await DonorGivingAsync((199.99m, new DateOnly(2030, 12, 31)), (0.01m, new DateOnly(2031, 1, 1)));
        var mine = new[] { under, exactly, over, otherYear, acrossYears }.Select(d => d.Id).ToHashSet();

        var report2030 = await ReportAsync(2030);
        Assert.Equal((2030, "USD", 200m), (report2030.Year, report2030.Currency, report2030.Threshold));
        var itemized = report2030.Contributors.Where(c => mine.Contains(c.DonorId)).ToList();
        Assert.Equal([over.Id, exactly.Id], itemized.Select(c => c.DonorId)); // largest total first
        var line = itemized[1];
        Assert.Equal((200.00m, 2), (line.Total, line.ContributionCount));
        Assert.Equal((exactly.Name, exactly.Employer, exactly.Occupation, exactly.Address), (line.Name, line.Employer, line.Occupation, line.Address));

        var report2029 = await ReportAsync(2029);
        Assert.Equal([(otherYear.Id, 500m)], report2029.Contributors.Where(c => mine.Contains(c.DonorId)).Select(c => (c.DonorId, c.Total)));

        var report2031 = await ReportAsync(2031);
        Assert.DoesNotContain(report2031.Contributors, c => mine.Contains(c.DonorId));
    }

    [Fact]
    public async Task A_year_without_contributions_has_no_itemized_contributors()
    {
        var report = await ReportAsync(2001);
        Assert.Empty(report.Contributors);
    }

    async Task<DonorResponse> DonorGivingAsync(params (decimal Amount, DateOnly ReceivedOn)[] contributions)
    {
        var donor = await _client.RegisterDonorAsync(name: $"Contributor {Guid.NewGuid():N}");
        foreach (var (amount, receivedOn) in contributions)
            Assert.Equal(HttpStatusCode.Created, (await _client.ContributeAsync(donor.Id, amount, receivedOn)).StatusCode);
        return donor;
    }

    async Task<ItemizedContributorsReport> ReportAsync(int year)
    {
        var response = await _client.GetAsync(new Uri($"/reports/itemized-contributors?year={year}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ItemizedContributorsReport>(Json))!;
    }
}
