using System.Text;
using Campaign.ResilienceTests.Support;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.ResilienceTests.Faults;

/// <summary>The verdict of a resilience run: counts for the summary, and every broken promise as a failure line.</summary>
public sealed class Report
{
    const string ThankYou = "donor-thank-you";
    const string Welcome = "volunteer-welcome";
    const string Letter = "donor-thank-you-letter";

    readonly List<string> _lines = [];

    public List<string> Failures { get; } = [];

    public static List<string> MissingEffects(SystemState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var missing = new List<string>();
        foreach (var (id, donor) in state.Donors.Where(d => d.Value.Secured))
        {
            if (state.CallsPerDonor.GetValueOrDefault(id) == 0)
                missing.Add($"secured donor {id}: no thank-you call");
            if (state.Messages.GetValueOrDefault((ThankYou, id.ToString())).Sent == 0)
                missing.Add($"secured donor {id}: no thank-you email sent");

            // Nobody makes the calls in this run: past the short deadline every secured donor is thanked in writing too.
            if (state.Messages.GetValueOrDefault((Letter, id.ToString())).Sent == 0)
                missing.Add($"secured donor {id}: no thank-you letter sent (overdue call)");
        }
        foreach (var id in state.Volunteers.Keys)
        {
            if (state.Messages.GetValueOrDefault((Welcome, id.ToString())).Sent == 0)
                missing.Add($"volunteer {id}: no welcome email sent");
        }
        return missing;
    }

    public static async Task<Report> BuildAsync(Traffic traffic, DateTime started, IReadOnlyDictionary<string, long> errorQueuesBefore,
        IReadOnlyDictionary<string, long> errorQueuesAfter, RabbitMqManagement management, IReadOnlyList<string> queues)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        var report = new Report();
        var state = await SystemState.ReadAsync(traffic.Domain);
        var mails = MailCount.Since(started, "@" + traffic.Domain);
        var secured = state.Donors.Where(d => d.Value.Secured).ToDictionary(d => d.Key, d => d.Value.Email);

        // Lost: a committed event without its effect in a subscriber, or a queued email the mail server never got.
        var lost = MissingEffects(state);
        foreach (var email in secured.Values.Concat(state.Volunteers.Values))
        {
            if (mails.GetValueOrDefault(email).Distinct == 0)
                lost.Add($"{Mask(email)}: no mail in the Maildir");
        }

        // Duplicated: more than one effect for one event.
        var duplicated = new List<string>();
        duplicated.AddRange(state.CallsPerDonor.Where(c => c.Value > 1).Select(c => $"donor {c.Key}: {c.Value} thank-you calls"));
        duplicated.AddRange(state.Messages.Where(m => m.Value.Count > 1).Select(m => $"{m.Key.Kind} {m.Key.Key}: {m.Value.Count} emails queued"));
        // A secured donor gets two mails (the thank-you and, once the call is overdue, the letter), a volunteer one.
        duplicated.AddRange(mails.Where(m => m.Value.Distinct > state.MessagesPerRecipient.GetValueOrDefault(m.Key.ToUpperInvariant()))
            .Select(m => $"{Mask(m.Key)}: {m.Value.Distinct} different mails for {state.MessagesPerRecipient.GetValueOrDefault(m.Key.ToUpperInvariant())} queued"));

        // Effects without a committed cause: a refused request, an unsecured donor.
        var stray = new List<string>();
        stray.AddRange(state.CallsPerDonor.Keys.Where(id => !secured.ContainsKey(id)).Select(id => $"donor {id} has a call but is not secured"));
        stray.AddRange(state.Messages.Keys.Where(k => k.Kind is ThankYou or Letter && !(Guid.TryParse(k.Key, out var id) && secured.ContainsKey(id)))
            .Select(k => $"{k.Kind} for {k.Key}, not a secured donor"));
        stray.AddRange(state.Messages.Keys.Where(k => k.Kind == Welcome && !(Guid.TryParse(k.Key, out var id) && state.Volunteers.ContainsKey(id)))
            .Select(k => $"welcome email for {k.Key}, not a volunteer"));
        foreach (var refused in traffic.RefusedAddresses)
        {
            if (state.Donors.Values.Any(d => string.Equals(d.Email, refused, StringComparison.OrdinalIgnoreCase)))
                stray.Add($"{Mask(refused)}: refused registration, yet a donor exists");
            if (mails.ContainsKey(refused) || state.MessagesPerRecipient.ContainsKey(refused.ToUpperInvariant()))
                stray.Add($"{Mask(refused)}: refused registration, yet an email");
        }
        foreach (var donor in traffic.Donors.Where(d => d is { InvalidContribution: true, FirstContribution.Status: 400, Id: not null }))
        {
            if (state.Donors.TryGetValue(donor.Id!.Value, out var row) && row.Secured)
                stray.Add($"donor {donor.Id}: its only contribution was refused, yet it is secured");
        }

        // What the API accepted is committed.
        var notCommitted = new List<string>();
        foreach (var donor in traffic.Donors.Where(d => d.Id is not null))
        {
            if (!state.Donors.TryGetValue(donor.Id!.Value, out var row))
            {
                notCommitted.Add($"donor {donor.Id}: registration answered 201, no row");
                continue;
            }
            if (donor.FirstContribution is { Status: 201 } && !row.Secured)
                notCommitted.Add($"donor {donor.Id}: first contribution answered 201, not secured");
            if (state.ContributionsPerDonor.GetValueOrDefault(donor.Id!.Value) < donor.ContributionIds.Count)
                notCommitted.Add($"donor {donor.Id}: {donor.ContributionIds.Count} contributions answered 201, fewer stored");
        }
        foreach (var volunteer in traffic.Volunteers.Where(v => v.Id is not null && !state.Volunteers.ContainsKey(v.Id.Value)))
            notCommitted.Add($"volunteer {volunteer.Id}: sign-up answered 201, no row");

        // Drained: outboxes, queues; error queues as they were.
        var outboxes = new List<string>();
        foreach (var service in ServiceList.WithDatabase)
        {
            var (pending, parked) = await SystemState.OutboxAsync(service, started);
            if (pending > 0 || parked > 0)
                outboxes.Add($"{service}: {pending} outbox messages pending, {parked} outboxes parked");
        }
        var queueDepths = new List<string>();
        foreach (var queue in queues)
        {
            var info = await management.QueueAsync(queue);
            if (info is null)
                queueDepths.Add($"{queue}: does not exist");
            else if (info.Messages > 0)
                queueDepths.Add($"{queue}: {info.Messages} messages left");
        }
        var errorQueues = errorQueuesAfter.Where(q => q.Value > errorQueuesBefore.GetValueOrDefault(q.Key))
            .Select(q => $"{q.Key}: {errorQueuesBefore.GetValueOrDefault(q.Key)} -> {q.Value} messages").ToList();

        var (vcInbox, vcDuplicates) = await SystemState.InboxAsync(Service.VolunteerCoordinator, started);
        var (commsInbox, commsDuplicates) = await SystemState.InboxAsync(Service.Communications, started);
        var delivered = state.CallsPerDonor.Values.Sum() + state.Messages.Values.Sum(m => m.Count);
        var secureEvents = secured.Count;
        var contributionEvents = state.ContributionsPerDonor.Values.Sum();

        report._lines.Add($"requests sent: {traffic.Requests} (retries {traffic.Retried}); accepted: {traffic.Accepted}; refused as intended: {traffic.RefusedAsIntended}; no definitive answer: {traffic.Unknown}");
        report._lines.Add($"events committed: {secureEvents + contributionEvents + state.Volunteers.Count} (DonorSecured {secureEvents}, ContributionReceived {contributionEvents}, VolunteerSignedUp {state.Volunteers.Count})");
        report._lines.Add($"effects delivered to subscribers: {delivered} (thank-you calls {state.CallsPerDonor.Values.Sum()}, thank-you emails {state.Messages.Where(m => m.Key.Kind == ThankYou).Sum(m => m.Value.Count)}, welcome emails {state.Messages.Where(m => m.Key.Kind == Welcome).Sum(m => m.Value.Count)}, thank-you letters for overdue calls {state.Messages.Where(m => m.Key.Kind == Letter).Sum(m => m.Value.Count)}); mails in the Maildir: {mails.Values.Sum(m => m.Distinct)}");
        report._lines.Add($"duplicates suppressed by the inboxes: {vcDuplicates + commsDuplicates} (VolunteerCoordinator {vcDuplicates} of {vcInbox} messages, Communications {commsDuplicates} of {commsInbox})");
        report._lines.Add($"SMTP re-sends of one message (same Message-ID, the sender's documented at-least-once window): {mails.Values.Sum(m => m.Files - m.Distinct)}");
        report._lines.Add($"lost: {lost.Count}; duplicated effects: {duplicated.Count}; effects of refused requests: {stray.Count}; accepted but not committed: {notCommitted.Count}");
        report._lines.Add($"outboxes: {(outboxes.Count == 0 ? "drained" : string.Join("; ", outboxes))}; queues: {(queueDepths.Count == 0 ? "drained" : string.Join("; ", queueDepths))}; error queues: {(errorQueues.Count == 0 ? "unchanged" : string.Join("; ", errorQueues))}");

        report.Fail("lost", lost);
        report.Fail("duplicated", duplicated);
        report.Fail("effect of a refused request", stray);
        report.Fail("accepted but not committed", notCommitted);
        report.Fail("not drained", outboxes);
        report.Fail("not drained", queueDepths);
        report.Fail("error queue grew", errorQueues);
        report._lines.Add($"answered 503 with Retry-After while a dependency was down: {traffic.Unavailable}; any other 5xx: {traffic.ServerErrors.Count}");
        report.Fail("a server error, not a definitive answer or a 503 with Retry-After", [.. traffic.ServerErrors]);
        if (traffic.Unknown > 0)
            report.Failures.Add($"{traffic.Unknown} requests got no definitive answer within 3 minutes of retries");
        return report;
    }

    /// <summary>No log line, span or exported log record may carry an address or a name the run used.</summary>
    public void ScanForPersonalData(string logFolder, OtlpSink otlp, IReadOnlyCollection<string> markers)
    {
        ArgumentNullException.ThrowIfNull(otlp);
        var findings = new List<string>();
        var lines = 0;
        foreach (var file in Directory.EnumerateFiles(logFolder, "*.log"))
        {
            foreach (var line in File.ReadLines(file))
            {
                lines++;
                foreach (var marker in markers.Where(m => line.Contains(m, StringComparison.OrdinalIgnoreCase)))
                    findings.Add($"{Path.GetFileName(file)}: '{marker}' in: {(line.Length > 300 ? line[..300] : line)}");
            }
        }
        findings.AddRange(otlp.Findings);
        var received = otlp.Received;
        var traces = received.GetValueOrDefault("/v1/traces");
        var logs = received.GetValueOrDefault("/v1/logs");
        _lines.Add($"personal data in logs and telemetry: {(findings.Count == 0 ? "none" : findings.Count + " findings")} (scanned {lines} log lines, {traces.Requests} trace exports of {traces.Bytes / 1024} KiB, {logs.Requests} log exports of {logs.Bytes / 1024} KiB)");
        if (traces.Requests == 0 || logs.Requests == 0)
            Failures.Add("the services exported no traces or no logs: the personal data scan saw nothing");
        Fail("personal data", findings);
    }

    public string Summary(TimeSpan elapsed)
    {
        var text = new StringBuilder().AppendLine($"=== resilience run: {elapsed.TotalSeconds:0} s ===");
        foreach (var line in _lines)
            text.AppendLine(line);
        text.AppendLine(Failures.Count == 0 ? "verdict: nothing lost, nothing twice" : $"verdict: {Failures.Count} failures");
        foreach (var failure in Failures.Take(50))
            text.AppendLine("  " + failure);
        return text.ToString();
    }

    void Fail(string what, List<string> findings)
    {
        foreach (var finding in findings.Take(20))
            Failures.Add($"{what}: {finding}");
        if (findings.Count > 20)
            Failures.Add($"{what}: … and {findings.Count - 20} more");
    }

    /// <summary>An address in a report: its local part only (the domain is the run's).</summary>
    static string Mask(string email) => email.Split('@')[0] + "@…";
}
