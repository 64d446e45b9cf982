using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.EndToEndTests;

/// <summary>
/// Runs in the main phase: its databases and virtual host are its own, so tests running beside it see none of its traffic
/// and it sees none of theirs.
/// </summary>
public sealed partial class FirstRunTests(EmptySystem first) : IClassFixture<EmptySystem>
{
    [Fact]
    public void A_first_start_on_empty_databases_prints_no_failure_or_error_line()
    {
        foreach (var (service, output) in first.StartOutput)
        {
            Assert.Contains("Now listening on", output, StringComparison.Ordinal);
            var problems = output.Split('\n').Where(line => ProblemLine().IsMatch(line)).ToList();
            Assert.True(problems.Count == 0, $"{service}'s first start printed:\n{string.Join('\n', problems)}");
        }
    }

    [Fact]
    public async Task The_demo_on_empty_databases_ends_with_its_summary_and_exit_code_0()
    {
        var (exitCode, output) = await RunDemoAsync(first.System);

        Assert.True(exitCode == 0, $"deploy/local/demo.sh exited with {exitCode}:\n{output}");
        Assert.Contains("What happened:", output, StringComparison.Ordinal);
        Assert.Contains("(2 welcome mails)", output, StringComparison.Ordinal);
        Assert.Contains("(2 calls)", output, StringComparison.Ordinal);
        Assert.Contains("(2 thank-you mails)", output, StringComparison.Ordinal);
        Assert.Contains("still 1 call for Alex", output, StringComparison.Ordinal);
        Assert.Contains("caller: Maria Lopez", output, StringComparison.Ordinal); // the only phone-banker on an empty database
        // Jordan's call is made; Alex's goes overdue and Alex is thanked by letter, once.
        Assert.Contains("ThankYouCallCompleted closed Jordan's saga", output, StringComparison.Ordinal);
        Assert.Contains("(1 thank-you letter)", output, StringComparison.Ordinal);
        Assert.Matches(@"donor-thank-you-letter\s+sent\s+alex\.rivera\+", output);
        Assert.DoesNotMatch(@"donor-thank-you-letter\s+\w+\s+jordan", output);
        // The operators' page, as the operator: CampaignFinance's outbox has delivered this run's events, nothing is parked.
        Assert.Matches(@"CampaignFinance: outbox backlog \d+, parked 0, delivered in the last hour [1-9]", output);
        // The audit trail names the payment processor (its own client and token) as who registered Alex and recorded the gifts.
        Assert.Matches(@"payment-processor\s+RegisterDonor\s+201", output);
        Assert.Matches(@"payment-processor\s+RecordContribution\s+201", output);
    }

    static async Task<(int ExitCode, string Output)> RunDemoAsync(CampaignSystem system)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(TestInfrastructure.RepositoryRoot, "deploy", "local", "demo.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CAMPAIGN_FINANCE_URL"] = system.Finance.BaseAddress.ToString().TrimEnd('/');
        start.Environment["CAMPAIGN_VOLUNTEERS_URL"] = system.Volunteers.BaseAddress.ToString().TrimEnd('/');
        start.Environment["CAMPAIGN_COMMUNICATIONS_URL"] = system.Communications.BaseAddress.ToString().TrimEnd('/');
        start.Environment["CAMPAIGN_MAIL_DIR"] = TestInfrastructure.Get("CAMPAIGN_MAIL_DIR");
        start.Environment["CAMPAIGN_OPERATIONS_URL"] = system.OperationsPage!.BaseAddress.ToString().TrimEnd('/');
        start.Environment["CAMPAIGN_DEMO_CALL_DEADLINE_SECONDS"] = EmptySystem.CallDeadlineSeconds.ToString(CultureInfo.InvariantCulture);

        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4)); // the demo itself waits at most 90 s
        try
        {
            await demo.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            demo.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/local/demo.sh did not end in 4 minutes:\n{await stdout}\n{await stderr}\n{await system.DescribeAsync()}");
        }
        return (demo.ExitCode, $"{await stdout}\n{await stderr}");
    }

    // The simple console format: "12:00:00.000 fail: Category[0] ...", and any line that calls itself an error.
    [GeneratedRegex(@"\b(fail|crit):|\berror\b", RegexOptions.IgnoreCase)]
    private static partial Regex ProblemLine();
}
