using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Campaign.SystemTesting;
using Campaign.Testing;
using Xunit.Abstractions;

namespace Campaign.EndToEndTests;

/// <summary>
/// The whole flow over real RabbitMQ, PostgreSQL and SMTP, each service a real process: CampaignFinance publishes through
/// its outbox, VolunteerCoordinator and Communications consume behind their inboxes, Communications mails through the
/// local SMTP server into the Maildir.
/// </summary>
[Trait("Category", "Faults")]
public sealed class ThankingDonorsAndVolunteersTests(RunningSystem running, ITestOutputHelper output) : IClassFixture<RunningSystem>
{
    const string ThankYou = "donor-thank-you";
    const string Welcome = "volunteer-welcome";
    static readonly TimeSpan Flow = TimeSpan.FromSeconds(90); // generous: a shared CI machine may be very busy; a pass takes seconds

    CampaignSystem System => running.System;

    [Fact]
    public async Task Every_queue_of_the_services_and_their_error_queues_is_a_quorum_queue()
    {
        // The services declared them at start: each consumer's queue, and the _error queues of those that faulted before.
        string[] prefixes = ["volunteer-coordinator-", "communications-"];
        var queues = (await running.System.RabbitMq.QueuesAsync())
            .Where(q => prefixes.Any(p => q.Name.StartsWith(p, StringComparison.Ordinal)) && !q.Name.Contains("-bus-", StringComparison.Ordinal)
                && !q.Name.Contains("-check-", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(queues, q => q.Name == "communications-donor-secured");
        Assert.Contains(queues, q => q.Name == "volunteer-coordinator-donor-secured");
        var classic = queues.Where(q => q.Type != "quorum").Select(q => $"{q.Name} ({q.Type})").ToList();
        Assert.True(classic.Count == 0, $"Not quorum queues: {string.Join(", ", classic)}");
    }

    [Fact]
    public async Task A_first_contribution_gets_one_thank_you_call_and_one_thank_you_email_and_a_second_contribution_adds_none()
    {
        var email = running.NewEmail("donor");
        var donor = await RegisterDonorAsync("Ada Donor", email);

        var first = await System.RecordContributionAsync(donor, 50m);
        Assert.Equal(HttpStatusCode.Created, first.Status);

        await Eventually.Until(async () => await SystemDatabases.ThankYouCallsAsync(donor) == 1, "the donor's thank-you call is created", Flow);
        var sent = await Eventually.Until(() => System.MessagesToAsync(email, ThankYou), m => m.Any(x => x.GetProperty("status").GetString() == "sent"),
            "the donor's thank-you email is sent", Flow);
        await Eventually.Until(() => System.Mail.CountTo(email) >= 1, "the thank-you email is in the Maildir", Flow);

        var (traceparent, traceId) = CampaignApi.NewTrace();
        var second = await System.RecordContributionAsync(donor, 75m, traceparent: traceparent);
        Assert.Equal(HttpStatusCode.Created, second.Status);

        // The second request stored one event in the outbox (ContributionReceived), no DonorSecured, and the relay has
        // delivered it: nothing can make a second call or email. Then the counts are still one.
        var spans = await Eventually.Until(() => Task.FromResult(running.Traces.Spans(traceId)),
            s => s.Any(IsServer) && s.Any(x => IsDelivery(x, "ContributionReceived")),
            "the second contribution's event is delivered by CampaignFinance's relay", Flow);
        Dump(spans);
        Assert.Equal(1, spans.Count(IsStoredInOutbox));
        Assert.DoesNotContain(spans, s => s.Name.Contains("DonorSecured", StringComparison.Ordinal));

        Assert.Equal(1, await SystemDatabases.ThankYouCallsAsync(donor));
        Assert.Single(sent);
        Assert.Single(await System.MessagesToAsync(email));
        Assert.Equal(1, await SystemDatabases.OutboundMessagesAsync(email));
        Assert.Equal(1, System.Mail.CountTo(email));
    }

    [Fact]
    public async Task The_finance_desks_refund_void_and_correction_reach_the_broker_as_the_service_user()
    {
        var parkedBefore = await SystemDatabases.ParkedOutboxesAsync(Service.CampaignFinance);
        var donor = await RegisterDonorAsync("Finance Desk Donor", running.NewEmail("desk"));
        var kept = await System.RecordContributionAsync(donor, 120m);
        var mistake = await System.RecordContributionAsync(donor, 80m);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var (traceparent, traceId) = CampaignApi.NewTrace();
        var headers = new Dictionary<string, string> { ["traceparent"] = traceparent };

        var refund = await CampaignApi.PostAsync(System.Finance.Client, $"/donors/{donor}/contributions/{kept.Id}/refunds",
            new { amount = 20m, refundedOn = today, reason = "Partly returned" }, headers);
        var voided = await CampaignApi.PostAsync(System.Finance.Client, $"/donors/{donor}/contributions/{mistake.Id}/void",
            new { reason = "Entered twice" }, headers);
        Assert.True(refund.Status == HttpStatusCode.OK, $"refund answered {refund.Status}: {refund.Body}");
        Assert.True(voided.Status == HttpStatusCode.OK, $"void answered {voided.Status}: {voided.Body}");

        // Each event is sent with the service's own broker user, whose permissions name the exchanges it may publish to: a
        // new event type missing from them is refused by the broker and parks the outbox.
        var spans = await Eventually.Until(() => Task.FromResult(running.Traces.Spans(traceId)),
            s => s.Any(x => IsDelivery(x, "ContributionRefunded")) && s.Any(x => IsDelivery(x, "ContributionVoided")),
            "the refund's and the void's events are delivered by CampaignFinance's relay", Flow);
        Dump(spans);
        Assert.Equal(parkedBefore, await SystemDatabases.ParkedOutboxesAsync(Service.CampaignFinance));
    }

    [Fact]
    public async Task A_volunteer_signup_gets_one_welcome_email_and_a_repeated_signup_none()
    {
        var email = running.NewEmail("volunteer");
        var signup = await System.SignUpVolunteerAsync("Grace Volunteer", email, "+1 202 555 0100", ["phone-banking"]);
        Assert.Equal(HttpStatusCode.Created, signup.Status);

        var messages = await Eventually.Until(() => System.MessagesToAsync(email, Welcome),
            m => m.Any(x => x.GetProperty("status").GetString() == "sent"), "the welcome email is sent", Flow);
        await Eventually.Until(() => System.Mail.CountTo(email) >= 1, "the welcome email is in the Maildir", Flow);

        var again = await System.SignUpVolunteerAsync("Grace Volunteer", email.ToUpperInvariant());
        Assert.Equal(HttpStatusCode.Conflict, again.Status);

        Assert.Single(messages);
        Assert.Equal(1, await SystemDatabases.OutboundMessagesAsync(email));
        Assert.Equal(1, System.Mail.CountTo(email));
    }

    [Fact]
    public async Task The_same_contribution_posted_again_with_its_idempotency_key_changes_nothing()
    {
        var email = running.NewEmail("retrying-donor");
        var donor = await RegisterDonorAsync("Retrying Donor", email);
        var key = Guid.NewGuid().ToString();
        var (firstTraceparent, firstTrace) = CampaignApi.NewTrace();
        var (retryTraceparent, retryTrace) = CampaignApi.NewTrace();

        var first = await System.RecordContributionAsync(donor, 20m, key, firstTraceparent);
        var retry = await System.RecordContributionAsync(donor, 20m, key, retryTraceparent);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(first.Status, retry.Status);
        Assert.Equal(first.Id, retry.Id);
        Assert.Equal(1, await SystemDatabases.CountAsync(Service.CampaignFinance, "Contributions", "\"DonorId\" = $1", donor));

        await Eventually.Until(async () => await SystemDatabases.ThankYouCallsAsync(donor) == 1, "the donor's thank-you call is created", Flow);
        await Eventually.Until(() => System.MessagesToAsync(email, ThankYou), m => m.Any(x => x.GetProperty("status").GetString() == "sent"),
            "the donor's thank-you email is sent", Flow);
        await Eventually.Until(() => System.Mail.CountTo(email) >= 1, "the thank-you email is in the Maildir", Flow);

        // One event of each: the first request stored DonorSecured and ContributionReceived in the outbox, the retry nothing.
        var firstSpans = await Eventually.Until(() => Task.FromResult(running.Traces.Spans(firstTrace)),
            s => s.Any(IsServer) && s.Any(x => IsDelivery(x, "DonorSecured")) && s.Any(x => IsDelivery(x, "ContributionReceived")),
            "the first request's events are delivered", Flow);
        var retrySpans = await Eventually.Until(() => Task.FromResult(running.Traces.Spans(retryTrace)), s => s.Any(IsServer),
            "the retry's request span is exported", Flow);
        Dump(firstSpans);
        Dump(retrySpans);
        Assert.Equal(2, firstSpans.Count(IsStoredInOutbox));
        Assert.Equal(1, firstSpans.Count(x => IsDelivery(x, "DonorSecured")));
        Assert.Equal(0, retrySpans.Count(IsStoredInOutbox));
        Assert.DoesNotContain(retrySpans, s => s.Kind == ExportedSpan.Producer);

        Assert.Equal(1, await SystemDatabases.ThankYouCallsAsync(donor));
        Assert.Single(await System.MessagesToAsync(email));
        Assert.Equal(1, System.Mail.CountTo(email));
    }

    [Fact]
    public async Task A_contribution_and_everything_it_causes_is_one_trace()
    {
        var email = running.NewEmail("traced-donor");
        var donor = await RegisterDonorAsync("Traced Donor", email);
        var (traceparent, traceId) = CampaignApi.NewTrace();

        var contribution = await System.RecordContributionAsync(donor, 30m, traceparent: traceparent);
        Assert.Equal(HttpStatusCode.Created, contribution.Status);

        // The request (CampaignFinance), the delivery by its relay, and the consumption in both other services form one tree:
        // every span's parent is the caller's span (in the traceparent) or another span of the same trace.
        var callerSpan = traceparent.Split('-')[2];
        var spans = await Eventually.Until(() => Task.FromResult(running.Traces.Spans(traceId)),
            s => s.Any(x => x.Service == "VolunteerCoordinator" && x.Kind == ExportedSpan.Consumer)
                && s.Any(x => x.Service == "Communications" && x.Kind == ExportedSpan.Consumer)
                && OrphanSpans(s, callerSpan).Count == 0,
            "both consumers' spans join the request's trace, in one tree", Flow);
        Dump(spans);
        Assert.Single(spans, s => s.Service == "CampaignFinance" && IsServer(s) && s.ParentSpanId == callerSpan);
        Assert.Contains(spans, s => IsDelivery(s, "DonorSecured"));
        Assert.Contains(spans, s => s.Service == "VolunteerCoordinator" && s.Kind == ExportedSpan.Consumer && s.Name.Contains("donor-secured", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.Service == "Communications" && s.Kind == ExportedSpan.Consumer && s.Name.Contains("donor-secured", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Service.VolunteerCoordinator, "volunteer-coordinator-donor-secured")]
    [InlineData(Service.Communications, "communications-donor-secured")]
    [InlineData(Service.Communications, "communications-volunteer-signed-up")]
    public async Task Each_consuming_service_watches_its_queues_for_a_consumer_that_stopped(Service service, string queue)
    {
        // The consumer watchdog (ServiceDefaults) learns the queues from the bus's receive endpoints as they start.
        using var response = await System[service].Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        var consumers = health.GetProperty("checks").GetProperty("consumers");

        Assert.Equal("Healthy", consumers.GetProperty("status").GetString());
        Assert.Contains(queue, consumers.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    static List<ExportedSpan> OrphanSpans(IReadOnlyList<ExportedSpan> spans, string callerSpan)
    {
        var ids = spans.Select(s => s.SpanId).Append(callerSpan).ToHashSet();
        return [.. spans.Where(s => !ids.Contains(s.ParentSpanId))];
    }

    async Task<Guid> RegisterDonorAsync(string name, string email)
    {
        var registered = await System.RegisterDonorAsync(name, email);
        Assert.True(registered.Status == HttpStatusCode.Created, $"POST /donors answered {registered.Status}: {registered.Body}");
        return registered.Id!.Value;
    }

    static bool IsServer(ExportedSpan span) => span.Kind == ExportedSpan.Server;

    /// <summary>
    /// A message stored in CampaignFinance's outbox by the request ("outbox send"). These end before the request's own span,
    /// so once that is exported, all of them are (the exporter sends spans in the order they end).
    /// </summary>
    static bool IsStoredInOutbox(ExportedSpan span) =>
        span.Service == "CampaignFinance" && span.Kind == ExportedSpan.Producer && span.Name == "outbox send";

    /// <summary>CampaignFinance's relay sending a stored message of type <paramref name="messageType"/> to the broker.</summary>
    static bool IsDelivery(ExportedSpan span, string messageType) =>
        span.Service == "CampaignFinance" && span.Kind == ExportedSpan.Producer && span.Name == $"Campaign.Contracts:{messageType} send";

    void Dump(IEnumerable<ExportedSpan> spans)
    {
        foreach (var span in spans)
            output.WriteLine(span.ToString());
    }
}
