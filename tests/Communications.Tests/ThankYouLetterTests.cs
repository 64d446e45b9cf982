using Campaign.Contracts;
using Communications.Data;
using Communications.Mail;
using Campaign.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Tests;

/// <summary>
/// A thank-you call that nobody made in time: the donor gets one written thank-you at the thank-you mail's address, whichever of
/// the two events reaches Communications first.
/// </summary>
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
    public async Task An_overdue_call_announced_before_the_donor_waits_for_the_address_and_is_sent_once_it_comes()
    {
        var donorId = Guid.NewGuid();
        var email = $"donor-{Guid.NewGuid():N}@example.org";
        await _app.Harness.Bus.Publish(new ThankYouCallOverdue(donorId, "Sam Lee", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
        await _app.WaitConsumedAsync<ThankYouCallOverdue>(m => m.Context.Message.DonorId == donorId, 1);

        // Consumed, not refused: the letter is written and waits, with no address, for the donor's DonorSecured.
        var waiting = await _app.WaitForMessageAsync(donorId, m => m.Kind == MessageKinds.DonorThankYouLetter, "the letter is written");
        Assert.Equal(OutboundMessageStatus.AwaitingAddress, waiting.Status);
        Assert.Equal("", waiting.Recipient);
        Assert.DoesNotContain(_app.Harness.Published.Select<Fault<ThankYouCallOverdue>>(), f => f.Context.Message.Message.DonorId == donorId);

        await _app.Harness.Bus.Publish(new DonorSecured(donorId, "Sam Lee", email, 25m, "USD", DateTimeOffset.UtcNow));
        var messages = await Eventually.Until(() => _app.MessagesAboutAsync(donorId),
            m => m.Count == 2 && m.All(x => x.Status == OutboundMessageStatus.Sent), "the thank-you mail and the letter are sent");
        Assert.Equal(email, Assert.Single(messages, m => m.Kind == MessageKinds.DonorThankYouLetter).Recipient);
        var mails = await Eventually.Until(() => Task.FromResult(_mail.MailsTo(email)), m => m.Count >= 2, "both mails are in the Maildir");
        Assert.Single(mails, m => m.Contains("Subject: A personal thank-you from the campaign", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_letter_and_its_donor_arriving_at_the_same_moment_still_give_every_donor_one_sent_letter()
    {
        // The two events come through different queues; consumed at once, each transaction must see what the other did.
        var donors = Enumerable.Range(0, 30).Select(i => (Id: Guid.NewGuid(), Email: $"donor-{Guid.NewGuid():N}@example.org")).ToList();
        await Task.WhenAll(donors.SelectMany(d => new[]
        {
            _app.Harness.Bus.Publish(new ThankYouCallOverdue(d.Id, "Kim Park", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow)),
            _app.Harness.Bus.Publish(new DonorSecured(d.Id, "Kim Park", d.Email, 10m, "USD", DateTimeOffset.UtcNow)),
        }));

        foreach (var donor in donors)
        {
            var messages = await Eventually.Until(() => _app.MessagesAboutAsync(donor.Id),
                m => m.Count == 2 && m.All(x => x.Status != OutboundMessageStatus.Pending),
                "the donor's thank-you mail and letter are both written and no longer pending");
            var letter = Assert.Single(messages, m => m.Kind == MessageKinds.DonorThankYouLetter);
            Assert.Equal((OutboundMessageStatus.Sent, donor.Email), (letter.Status, letter.Recipient));
        }
    }
}
