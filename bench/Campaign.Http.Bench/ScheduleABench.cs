using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Campaign.SystemTesting;
using Campaign.Testing;
using Npgsql;

namespace Campaign.Http.Bench;

/// <summary>
/// Issue 15's speed check: Schedule A of a year with many contributions, as JSON and as CSV, timed to the last byte with
/// CampaignFinance's resident memory sampled while it streams. CampaignFinance runs as a process on a database of its own,
/// seeded by SQL (a contribution in every month of the year, amounts so that about a third of the donors are itemized).
/// </summary>
static class ScheduleABench
{
    const int Year = 2030;

    public static async Task<int> RunAsync(int contributions, int donors, int reps)
    {
        await using var database = await TestDatabase.CreateAsync("schedulea");
        var logFolder = Path.Combine(CampaignSystem.LogRoot, $"schedule-a-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        await using var finance = new ServiceProcess(Service.CampaignFinance, logFolder,
            new Dictionary<string, string> { ["ConnectionStrings__CampaignFinance"] = database.ConnectionString });
        Program.Log($"schedule-a: starting CampaignFinance on {database.Name} (logs: {logFolder})");
        await finance.StartAsync(TimeSpan.FromSeconds(120));

        Program.Log($"schedule-a: seeding {donors:N0} donors and {contributions:N0} contributions received in {Year}");
        var seeding = Stopwatch.StartNew();
        await SeedAsync(database.ConnectionString, contributions, donors);
        Program.Log($"schedule-a: seeded in {seeding.Elapsed.TotalSeconds:0.0} s");

        using var http = new HttpClient(new TestTokens.Handler(new SocketsHttpHandler())) { BaseAddress = finance.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var pid = finance.ProcessId ?? throw new InvalidOperationException("CampaignFinance is not running.");

        // A discarded round first: the JIT's first compilation of the paths is not what a finance desk waits for each quarter.
        await FetchAsync(http, pid, "application/json");
        await FetchAsync(http, pid, ScheduleAMedia.Csv);

        var results = new List<(string Format, Fetch Fetch)>();
        for (var rep = 1; rep <= reps; rep++)
        {
            foreach (var format in new[] { "application/json", ScheduleAMedia.Csv })
            {
                var fetch = await FetchAsync(http, pid, format);
                results.Add((format, fetch));
                Program.Log($"schedule-a: rep {rep} {format}: {fetch}");
            }
        }

        var report = Report(contributions, donors, results);
        Console.WriteLine(report);
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, "bench", "results", $"schedule-a-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "results.md"), report);
        Program.Log($"written to {folder}");
        return 0;
    }

    sealed record Fetch(double Seconds, long Bytes, int CsvLines, long RssBeforeMb, long RssPeakMb)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Seconds:0.000} s, {Bytes / 1024.0 / 1024.0:0.0} MB, RSS {RssBeforeMb} MB before, {RssPeakMb} MB peak");
    }

    static async Task<Fetch> FetchAsync(HttpClient http, int pid, string mediaType)
    {
        using var sampling = new CancellationTokenSource();
        var before = ResidentMb(pid);
        var peak = before;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentMb(pid));
                try
                {
                    await Task.Delay(20, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        // The whole year: every contribution of an itemized donor is on it (a named period lists a part of the year).
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/reports/schedule-a?from={Year}-01-01&to={Year}-12-31", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long bytes = 0;
        var lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        // One CSV line per itemized contribution, after the header; the JSON is one line.
        return new Fetch(seconds, bytes, mediaType == ScheduleAMedia.Csv ? lines - 1 : -1, before, peak);
    }

    /// <summary>Resident set of the process in MB (VmRSS in /proc/&lt;pid&gt;/status).</summary>
    static long ResidentMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) / 1024;
        }
        return 0;
    }

    /// <summary>
    /// Donors with names, addresses, employers (a tenth without occupation), and contributions spread over the year: donor i
    /// gives contributions/donors times, amounts 10–400, so some cross $200 early, some late, some never.
    /// </summary>
    static async Task SeedAsync(string connectionString, int contributions, int donors)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"""
            INSERT INTO "Donors" ("Id", "Name", "NormalizedName", "Email", "NormalizedEmail", "AddressLine1", "City", "State", "PostalCode",
                                  "Employer", "Occupation", "RegisteredAt", "SecuredAt")
            SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
                   'Donor ' || i, 'donor ' || i, 'donor' || i || '@example.org', 'donor' || i || '@example.org',
                   i || ' Main Street', 'Springfield', 'IL', lpad((10000 + i % 89999)::text, 5, '0'),
                   'Employer ' || (i % 500), CASE WHEN i % 10 = 0 THEN NULL ELSE 'Occupation ' || (i % 50) END,
                   TIMESTAMPTZ '{Year}-01-01', TIMESTAMPTZ '{Year}-01-01'
            FROM generate_series(1, {donors}) AS i;
            INSERT INTO "Contributions" ("Id", "DonorId", "Amount", "Currency", "ReceivedOn", "Method", "RecordedAt")
            SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
                   ('00000000-0000-7000-8000-' || lpad(to_hex(1 + n % {donors}), 12, '0'))::uuid,
                   10 + (n * 37) % 391, 'USD', DATE '{Year}-01-01' + (n * 7) % 365, 'card', TIMESTAMPTZ '{Year}-01-01'
            FROM generate_series(1, {contributions}) AS n;
            ANALYZE "Donors";
            ANALYZE "Contributions";
            """);
        await using var command = new NpgsqlCommand(sql.ToString(), connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    static string Report(int contributions, int donors, List<(string Format, Fetch Fetch)> results)
    {
        var text = new StringBuilder();
        text.AppendLine(FormattableString.Invariant($"Schedule A of {Year} ({contributions:N0} contributions from {donors:N0} donors), ")
            + FormattableString.Invariant($"{results.Count / 2} repetitions per format after a discarded round; time to the last byte at the client; ")
            + "CampaignFinance's resident memory (VmRSS) sampled every 20 ms.");
        text.AppendLine();
        text.AppendLine("| format | seconds, median (min–max) | body | CSV lines (contributions) | RSS before → peak (MB), median |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => r.Format))
        {
            var fetches = group.Select(g => g.Fetch).ToList();
            var seconds = fetches.Select(f => f.Seconds).Order().ToList();
            var lines = fetches[0].CsvLines >= 0 ? fetches[0].CsvLines.ToString("N0", CultureInfo.InvariantCulture) : "—";
            text.AppendLine(FormattableString.Invariant(
                $"| {group.Key} | {seconds[seconds.Count / 2]:0.00} ({seconds[0]:0.00}–{seconds[^1]:0.00}) | {fetches[0].Bytes / 1024.0 / 1024.0:0.0} MB | {lines} | {Median(fetches.Select(f => f.RssBeforeMb))} → {Median(fetches.Select(f => f.RssPeakMb))} |"));
        }
        return text.ToString();
    }

    static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}

static class ScheduleAMedia
{
    public const string Csv = "text/csv";
}
