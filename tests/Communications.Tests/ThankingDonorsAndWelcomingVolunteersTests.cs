using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.Testing;
using Communications.Data;
using Communications.Mail;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Tests;

/// <summary>From an event on the bus to exactly one mail accepted by the real local SMTP server.</summary>
public sealed class ThankingDonorsAndWelcomingVolunteersTests(CommunicationsFixture fixture) : IClassFixture<CommunicationsFixture>
{
    readonly CommunicationsApp _app = fixture.App;
    readonly Maildir _mail = new();

    static string NewAddress(string who) => $"{who}-{Guid.NewGuid():N}@example.org";

    static DonorSecured Donor(Guid donorId, string? email, string name = "Alex Rivera", decimal amount = 250m) =>
        new(donorId, name, email, amount, "USD", DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_secured_donor_gets_exactly_one_thank_you_mail()
    {
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");
        var name = $"Jordan {Guid.NewGuid():N}"[..20];

        await _app.Harness.Bus.Publish(Donor(donorId, email, name, 1250m));

        var message = await _app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is sent");
        Assert.Equal(MessageKinds.DonorThankYou, message.Kind);
        Assert.Equal(email, message.Recipient);
        Assert.Equal(1, message.Attempts);
        Assert.NotNull(message.SentAt);
        Assert.Null(message.LastError);
        Assert.DoesNotContain("1,250", message.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("1250", message.Subject, StringComparison.Ordinal);
        Assert.Contains(name, message.Body, StringComparison.Ordinal);
        Assert.Contains("1,250.00 USD", message.Body, StringComparison.Ordinal);
        Assert.Contains("The Campaign team", message.Body, StringComparison.Ordinal);
        var attempt = Assert.Single(message.SendAttempts);
        Assert.Equal((1, SendAttemptOutcome.Sent), (attempt.AttemptNo, attempt.Outcome));

        var mail = Assert.Single(await _mail.WaitForMailsToAsync(email));
        Assert.Contains($"<{message.Id}@campaign.example>", mail, StringComparison.Ordinal);
        Assert.Contains("Subject: Thank you for standing with us", mail, StringComparison.Ordinal);
        Assert.Contains("thanks@campaign.example", mail, StringComparison.Ordinal);

        // Logs name ids, never the donor's address or name.
        Assert.True(_app.Logs.Mention(message.Id.ToString()), "the sender logs the message id");
        Assert.False(_app.Logs.Mention(email), "no log mentions the recipient's address");
        Assert.False(_app.Logs.Mention(name), "no log mentions the donor's name");
    }

    [Fact]
    public async Task A_volunteer_who_signed_up_gets_exactly_one_welcome_mail()
    {
        var volunteerId = Guid.NewGuid();
        var email = NewAddress("volunteer");

        await _app.Harness.Bus.Publish(new VolunteerSignedUp(volunteerId, "Sam Lee", email, ["canvassing", "phone banking"], DateTimeOffset.UtcNow));

        var message = await _app.WaitForMessageAsync(volunteerId, m => m.Status == OutboundMessageStatus.Sent, "the welcome is sent");
        Assert.Equal(MessageKinds.VolunteerWelcome, message.Kind);
        Assert.Equal(email, message.Recipient);
        Assert.Contains("Sam Lee", message.Body, StringComparison.Ordinal);
        Assert.Contains("canvassing, phone banking", message.Body, StringComparison.Ordinal);

        var mail = Assert.Single(await _mail.WaitForMailsToAsync(email));
        Assert.Contains($"<{message.Id}@campaign.example>", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_DonorSecured_message_delivered_twice_queues_one_message_and_sends_one_mail()
    {
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");
        var messageId = NewId.NextGuid();
        var donor = Donor(donorId, email);

        await _app.Harness.Bus.Publish(donor, context => context.MessageId = messageId);
        await _app.Harness.Bus.Publish(donor, context => context.MessageId = messageId);
        // The harness does not list a redelivery the inbox skipped; the inbox row counts both receptions.
        await Eventually.Until(
            () => _app.QueryAsync(db => db.Set<InboxState>().Where(i => i.MessageId == messageId).SumAsync(i => i.ReceiveCount)),
            received => received >= 2, "the inbox received the message twice");

        var message = await _app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is sent");
        Assert.Single(await _app.MessagesAboutAsync(donorId));
        Assert.Equal(1, message.Attempts);
        Assert.Single(await _mail.WaitForMailsToAsync(email));
    }

    [Fact]
    public async Task Two_different_messages_about_the_same_donor_queue_one_thank_you()
    {
        var donorId = Guid.NewGuid();
        var email = NewAddress("donor");

        await _app.Harness.Bus.Publish(Donor(donorId, email, amount: 100m));
        await _app.Harness.Bus.Publish(Donor(donorId, email, amount: 100m));
        Assert.Equal(2, await _app.WaitConsumedAsync<DonorSecured>(m => m.Context.Message.DonorId == donorId, 2));

        await _app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is sent");
        Assert.Single(await _app.MessagesAboutAsync(donorId));
        Assert.Single(await _mail.WaitForMailsToAsync(email));
    }

    [Fact]
    public async Task Concurrent_messages_about_the_same_volunteer_queue_one_welcome()
    {
        var volunteerId = Guid.NewGuid();
        var email = NewAddress("volunteer");

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            _app.Harness.Bus.Publish(new VolunteerSignedUp(volunteerId, "Kim", email, [], DateTimeOffset.UtcNow))));
        Assert.Equal(5, await _app.WaitConsumedAsync<VolunteerSignedUp>(m => m.Context.Message.VolunteerId == volunteerId, 5));

        await _app.WaitForMessageAsync(volunteerId, m => m.Status == OutboundMessageStatus.Sent, "the welcome is sent");
        Assert.Single(await _app.MessagesAboutAsync(volunteerId));
        Assert.Single(await _mail.WaitForMailsToAsync(email));
        Assert.False(await _app.Harness.Published.Any<Fault<VolunteerSignedUp>>(), "no delivery faulted");
    }

    [Theory]
    [InlineData("not-an-address-{0}")]
    [InlineData("Someone <someone-{0}@example.org>")]
    [InlineData("{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}@example.org")] // longer than any deliverable address
    public async Task A_donor_whose_address_is_not_an_email_address_gets_a_failed_message_and_no_attempt(string addressFormat)
    {
        var donorId = Guid.NewGuid();
        var address = string.Format(System.Globalization.CultureInfo.InvariantCulture, addressFormat, Guid.NewGuid().ToString("N"));

        await _app.Harness.Bus.Publish(Donor(donorId, address));

        var message = await _app.WaitForMessageAsync(donorId, _ => true, "the thank-you is recorded");
        Assert.Equal(OutboundMessageStatus.Failed, message.Status);
        Assert.Equal(0, message.Attempts);
        Assert.Empty(message.SendAttempts);
        Assert.NotNull(message.LastError);
        Assert.DoesNotContain(address, message.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_donor_without_email_gets_a_no_address_record_and_no_attempt_nor_fault()
    {
        var donorId = Guid.NewGuid();

        await _app.Harness.Bus.Publish(Donor(donorId, null));
        await _app.Harness.Bus.Publish(new ThankYouCallOverdue(donorId, "Alex Rivera", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow));

        var messages = await Eventually.Until(() => _app.MessagesAboutAsync(donorId), m => m.Count == 2, "the thank-you and the letter are recorded");
        Assert.All(messages, m => Assert.Equal((OutboundMessageStatus.NoAddress, 0, "", null), (m.Status, m.Attempts, m.Recipient, m.LastError)));
        Assert.Equal([MessageKinds.DonorThankYou, MessageKinds.DonorThankYouLetter], messages.Select(m => m.Kind).Order());
        Assert.False(await _app.Harness.Published.Any<Fault<DonorSecured>>(m => m.Context.Message.Message.DonorId == donorId), "no delivery faulted");
    }
}
