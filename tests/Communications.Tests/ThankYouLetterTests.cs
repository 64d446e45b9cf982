using Campaign.Contracts;
using Communications.Data;
using Communications.Mail;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Tests;

/// <summary>A thank-you call that nobody made in time: the donor gets one written thank-you at the thank-you mail's address.</summary>
public sealed class ThankYouLetterTests(CommunicationsFixture fixture) : IClassFixture<CommunicationsFixture>
{
    readonly CommunicationsApp _app = fixture.App;
    readonly Maildir _mail = new();

    [Fact]
    public async Task An_overdue_call_gets_one_letter_to_the_donor_however_often_it_is_announced()
    {
        var donorId = Guid.NewGuid();
        var email = $"donor-{Guid.NewGuid():N}@example.org";
        await _app.Harness.Bus.Publish(new DonorSecured(donorId, "Alex Rivera", email, 80m, "USD", DateTimeOffset.UtcNow));
        await _app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you mail is sent");

        var overdue = new ThankYouCallOverdue(donorId, "Alex Rivera", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        await _app.Harness.Bus.Publish(overdue);
        await _app.Harness.Bus.Publish(overdue); // a different message about the same donor: still one letter
        Assert.Equal(2, await _app.WaitConsumedAsync<ThankYouCallOverdue>(m => m.Context.Message.DonorId == donorId, 2));

        var messages = await Eventually.Until(() => _app.MessagesAboutAsync(donorId),
            m => m.Any(x => x is { Kind: MessageKinds.DonorThankYouLetter, Status: OutboundMessageStatus.Sent }), "the letter is sent");
        var letter = Assert.Single(messages, m => m.Kind == MessageKinds.DonorThankYouLetter);
        Assert.Equal(email, letter.Recipient);
        Assert.Contains("Dear Alex Rivera", letter.Body, StringComparison.Ordinal);
        var mails = await Eventually.Until(() => Task.FromResult(_mail.MailsTo(email)), m => m.Count >= 2, "both mails are in the Maildir");
        Assert.Equal(2, mails.Count);
        Assert.Single(mails, m => m.Contains("Subject: A personal thank-you from the campaign", StringComparison.Ordinal));
        Assert.False(_app.Logs.Mention(email), "no log mentions the recipient's address");
    }

    [Fact]
    public async Task An_overdue_call_for_a_donor_never_thanked_here_is_refused_and_writes_nothing()
    {
        var donorId = Guid.NewGuid();
        await _app.Harness.Bus.Publish(new ThankYouCallOverdue(donorId, "Nobody Known", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));

        // The harness's Any answers at once from what it holds when its inactivity timeout has passed: ask until it is there.
        await Eventually.Until(() => _app.Harness.Published.Any<Fault<ThankYouCallOverdue>>(f => f.Context.Message.Message.DonorId == donorId),
            "the message faults (and goes to the error queue) after its retries");
        Assert.Empty(await _app.MessagesAboutAsync(donorId));
    }
}
