using System.Globalization;
using System.Text.RegularExpressions;

namespace CampaignFinance.Features.Reports;

/// <summary>
/// A Form 8872 reporting period: its name (when it is one of the form's), first and last day. The form's periods, for a
/// year Y: in an election year (even years), the quarters <c>Y-q1</c> to <c>Y-q3</c> (or the months <c>Y-01</c> to
/// <c>Y-09</c> for monthly filers), then for both <c>Y-pre-general</c> (October 1 to the 20th day before the general election),
/// <c>Y-post-general</c> (to the 20th day after it) and <c>Y-year-end</c> (to December 31); in other years <c>Y-mid-year</c>
/// (January to June) and <c>Y-year-end</c> (July to December) for semiannual filers, or the months <c>Y-01</c> to <c>Y-12</c>.
/// </summary>
public sealed partial record ReportingPeriod(string? Name, DateOnly From, DateOnly To)
{
    /// <summary>The general election: the Tuesday after the first Monday of November, in even years.</summary>
    public static DateOnly GeneralElection(int year)
    {
        var firstMonday = new DateOnly(year, 11, 1);
        while (firstMonday.DayOfWeek != DayOfWeek.Monday)
            firstMonday = firstMonday.AddDays(1);
        return firstMonday.AddDays(1);
    }

    /// <summary>The named period, or why the name is not one.</summary>
    public static (ReportingPeriod? Period, string? Error) Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var match = PeriodName().Match(name);
        if (!match.Success)
            return (null, "Unknown period. Use YYYY-q1, YYYY-q2, YYYY-q3, YYYY-mid-year, YYYY-pre-general, YYYY-post-general, YYYY-year-end or YYYY-MM.");

        var year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
        var electionYear = year % 2 == 0;
        var election = GeneralElection(year);
        var which = match.Groups["which"].Value;
        (DateOnly, DateOnly)? range = which switch
        {
            "q1" or "q2" or "q3" when electionYear => Quarter(year, which[1] - '0'),
            "mid-year" when !electionYear => (new DateOnly(year, 1, 1), new DateOnly(year, 6, 30)),
            "pre-general" when electionYear => (new DateOnly(year, 10, 1), election.AddDays(-20)),
            "post-general" when electionYear => (election.AddDays(-19), election.AddDays(20)),
            "year-end" => electionYear ? (election.AddDays(21), new DateOnly(year, 12, 31)) : (new DateOnly(year, 7, 1), new DateOnly(year, 12, 31)),
            _ when int.TryParse(which, CultureInfo.InvariantCulture, out var month) && month is >= 1 and <= 12 && (!electionYear || month <= 9) =>
                (new DateOnly(year, month, 1), new DateOnly(year, month, DateTime.DaysInMonth(year, month))),
            _ => null,
        };
        if (range is not { } days)
        {
            return (null, electionYear
                ? $"{year} is an election year: its periods are q1, q2, q3 (or the months 01 to 09), pre-general, post-general and year-end."
                : $"{year} is not an election year: its periods are mid-year and year-end (or the months 01 to 12).");
        }
        return (new ReportingPeriod(name, days.Item1, days.Item2), null);
    }

    static (DateOnly, DateOnly) Quarter(int year, int quarter)
    {
        var first = new DateOnly(year, (quarter - 1) * 3 + 1, 1);
        return (first, first.AddMonths(3).AddDays(-1));
    }

    [GeneratedRegex(@"^(?<year>20[0-9]{2})-(?<which>q[1-3]|mid-year|pre-general|post-general|year-end|0[1-9]|1[0-2])$")]
    private static partial Regex PeriodName();
}
