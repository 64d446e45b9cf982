using System.Net;
using System.Net.Sockets;
using Campaign.Contracts;
using Campaign.Testing;
using Communications.Data;

namespace Communications.Tests;

/// <summary>How the sender behaves when the mail server is down, comes back, or is not configured; and with two instances.</summary>
public sealed class DeliveryTests
{
    readonly Maildir _mail = new();

    static string NewAddress(string who) => $"{who}-{Guid.NewGuid():N}@example.org";

    static DonorSecured Donor(Guid donorId, string email) => new(donorId, "Robin Diaz", email, 40m, "USD", DateTimeOffset.UtcNow);

    /// <summary>A loopback port nothing listens on: connections to it are refused at once.</summary>
    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Longer than any test: whatever the sender does within a test, the fallback poll did not cause it.</summary>
    const string NoPoll = "00:10:00";

    static Dictionary<string, string> UnreachableSmtp(int maxAttempts, string retryDelay, string maxRetryDelay) => new()
    {
        ["Mail:PollInterval"] = NoPoll,
        ["Smtp:Port"] = ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mail:RetryDelay"] = retryDelay,
        ["Mail:MaxRetryDelay"] = maxRetryDelay,
    };

    [Fact]
    public async Task A_committed_thank_you_wakes_the_sender_without_waiting_for_the_poll()
    {
        await using var database = await TestDatabase.CreateAsync("comms_wake");
        await using var app = await new CommunicationsApp(database.ConnectionString, new Dictionary<string, string>
        {
            ["Mail:PollInterval"] = NoPoll,
        }).StartAsync();
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");

        await app.Harness.Bus.Publish(Donor(donorId, email));

        await app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is sent", TimeSpan.FromSeconds(15));
        Assert.Single(await _mail.WaitForMailsToAsync(email));
    }

    [Fact]
    public async Task While_the_mail_server_is_unreachable_attempts_back_off_and_the_message_fails_after_MaxAttempts()
    {
        await using var database = await TestDatabase.CreateAsync("comms_unreachable");
        await using var app = await new CommunicationsApp(database.ConnectionString, UnreachableSmtp(3, "00:00:01", "00:00:10")).StartAsync();
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");

        await app.Harness.Bus.Publish(Donor(donorId, email));

        // After a failed attempt the message waits, still pending, until its back-off has passed.
        var waiting = await app.WaitForMessageAsync(donorId,
            m => m.Attempts >= 1 && m.Status == OutboundMessageStatus.Pending, "a first attempt fails and the message stays pending");
        var lastAttempt = waiting.SendAttempts.MaxBy(a => a.AttemptNo)!;
        Assert.Equal(SendAttemptOutcome.Failed, lastAttempt.Outcome);
        Assert.True(waiting.NextAttemptAt > lastAttempt.At, "the next attempt is scheduled after the failed one");
        Assert.NotNull(waiting.LastError);

        var failed = await app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Failed, "the message fails after 3 attempts");
        Assert.Equal(3, failed.Attempts);
        Assert.Null(failed.SentAt);
        var attempts = failed.SendAttempts.OrderBy(a => a.AttemptNo).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.AttemptNo));
        Assert.All(attempts, a => Assert.Equal(SendAttemptOutcome.Failed, a.Outcome));
        Assert.All(attempts, a => Assert.DoesNotContain(email, a.Error ?? "", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(email, failed.LastError ?? "", StringComparison.OrdinalIgnoreCase);

        // Exponential: about 1 s, then about 2 s (jitter is at most 20 %).
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.75), "the second attempt waits about 1 s");
        Assert.True(attempts[2].At - attempts[1].At >= TimeSpan.FromSeconds(1.5), "the third attempt waits about 2 s");

        Assert.Empty(_mail.MailsTo(email));
        Assert.False(app.Logs.Mention(email), "no log mentions the recipient's address");
    }

    [Fact]
    public async Task A_message_that_could_not_be_sent_while_the_server_was_down_is_sent_once_when_it_is_back()
    {
        await using var database = await TestDatabase.CreateAsync("comms_recovery");
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");

        await using (var down = await new CommunicationsApp(database.ConnectionString, UnreachableSmtp(8, "00:00:00.500", "00:00:01")).StartAsync())
        {
            await down.Harness.Bus.Publish(Donor(donorId, email));
            await down.WaitForMessageAsync(donorId, m => m.Attempts >= 1 && m.Status == OutboundMessageStatus.Pending, "an attempt fails");
        }

        // Same database, a working mail server: the pending message is picked up where it was left.
        await using var up = await new CommunicationsApp(database.ConnectionString).StartAsync();
        var sent = await up.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the message is sent once the server is back");

        var attempts = sent.SendAttempts.OrderBy(a => a.AttemptNo).ToList();
        Assert.True(attempts.Count >= 2);
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(a => a.AttemptNo));
        Assert.All(attempts[..^1], a => Assert.Equal(SendAttemptOutcome.Failed, a.Outcome));
        Assert.Equal(SendAttemptOutcome.Sent, attempts[^1].Outcome);
        Assert.Equal(attempts.Count, sent.Attempts);
        Assert.Null(sent.LastError);

        var mail = Assert.Single(await _mail.WaitForMailsToAsync(email));
        Assert.Contains($"<{sent.Id}@campaign.example>", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_SMTP_server_each_message_is_written_once_to_the_pickup_folder()
    {
        await using var database = await TestDatabase.CreateAsync("comms_pickup");
        var folder = Path.Combine(Path.GetTempPath(), $"campaign-pickup-{Guid.NewGuid():N}");
        try
        {
            await using var app = await new CommunicationsApp(database.ConnectionString, new Dictionary<string, string>
            {
                ["Smtp:Host"] = "",
                ["Mail:PickupFolder"] = folder,
            }).StartAsync();
            var donorId = Guid.NewGuid();
            var volunteerId = Guid.NewGuid();
            var donorEmail = NewAddress("donor");
            var volunteerEmail = NewAddress("volunteer");

            await app.Harness.Bus.Publish(Donor(donorId, donorEmail));
            await app.Harness.Bus.Publish(new VolunteerSignedUp(volunteerId, "Pat", volunteerEmail, [], DateTimeOffset.UtcNow));
            var thankYou = await app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is written");
            var welcome = await app.WaitForMessageAsync(volunteerId, m => m.Status == OutboundMessageStatus.Sent, "the welcome is written");

            var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(new[] { $"{thankYou.Id}.eml", $"{welcome.Id}.eml" }.Order(StringComparer.Ordinal), files);
            var thankYouMail = await File.ReadAllTextAsync(Path.Combine(folder, $"{thankYou.Id}.eml"));
            Assert.Contains($"To: {donorEmail}", thankYouMail, StringComparison.Ordinal);
            Assert.Contains($"<{thankYou.Id}@campaign.example>", thankYouMail, StringComparison.Ordinal);
            Assert.Empty(_mail.MailsTo(donorEmail));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Two_instances_on_one_database_send_each_message_once()
    {
        await using var database = await TestDatabase.CreateAsync("comms_two_instances");
        await using var first = await new CommunicationsApp(database.ConnectionString).StartAsync();
        await using var second = await new CommunicationsApp(database.ConnectionString).StartAsync();
        var donors = Enumerable.Range(0, 12).Select(_ => (Id: Guid.NewGuid(), Email: NewAddress("donor"))).ToList();

        // Half the events reach each instance; both senders compete for every pending row.
        await Task.WhenAll(donors.Select((d, i) => (i % 2 == 0 ? first : second).Harness.Bus.Publish(Donor(d.Id, d.Email))));

        foreach (var donor in donors)
        {
            var sent = await first.WaitForMessageAsync(donor.Id, m => m.Status == OutboundMessageStatus.Sent, "every thank-you is sent");
            Assert.Equal(1, sent.Attempts);
            Assert.Single(await _mail.WaitForMailsToAsync(donor.Email));
        }
    }
}
