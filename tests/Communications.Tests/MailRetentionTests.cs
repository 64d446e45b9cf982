using Campaign.ServiceDefaults.Retention;
using Communications.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Communications.Tests;

/// <summary>The text of sent mail is emptied after the retention; the record of the mail stays.</summary>
public sealed class MailRetentionTests(CommunicationsFixture fixture) : IClassFixture<CommunicationsFixture>
{
    [Fact]
    public async Task The_body_of_mail_sent_or_given_up_on_before_the_retention_is_emptied_and_newer_or_pending_mail_is_kept()
    {
        var now = DateTimeOffset.UtcNow;
        OutboundMessage Message(string status, DateTimeOffset? sentAt) => new()
        {
            Id = Guid.CreateVersion7(),
            Kind = "donor-thank-you",
            SourceEventKey = Guid.NewGuid().ToString(),
            Recipient = "retention@example.org",
            NormalizedRecipient = "RETENTION@EXAMPLE.ORG",
            Subject = "Thank you",
            Body = "Dear Robin, thank you for your gift of $50.",
            Status = status,
            CreatedAt = (sentAt ?? now).AddMinutes(-1),
            NextAttemptAt = now.AddYears(1), // never picked up by the sender during the test
            SentAt = sentAt,
        };
        var old = Message(OutboundMessageStatus.Sent, now.AddDays(-31));
        var recent = Message(OutboundMessageStatus.Sent, now.AddDays(-29));
        var unsent = Message(OutboundMessageStatus.Pending, null);
        var failedLongAgo = Message(OutboundMessageStatus.Failed, null);
        failedLongAgo.CreatedAt = now.AddDays(-40);
        await fixture.App.QueryAsync(async db =>
        {
            db.OutboundMessages.AddRange(old, recent, unsent, failedLongAgo);
            return await db.SaveChangesAsync();
        });

        await fixture.App.Services.GetServices<IHostedService>().OfType<RetentionService>().Single().PurgeOnceAsync(CancellationToken.None);

        var bodies = await fixture.App.QueryAsync(db => db.OutboundMessages.AsNoTracking()
            .Where(m => m.Id == old.Id || m.Id == recent.Id || m.Id == unsent.Id || m.Id == failedLongAgo.Id).ToDictionaryAsync(m => m.Id, m => (m.Body, m.Recipient, m.Status)));
        Assert.Equal(("", "retention@example.org", "sent"), bodies[old.Id]);
        Assert.Equal(recent.Body, bodies[recent.Id].Body);
        Assert.Equal(unsent.Body, bodies[unsent.Id].Body);
        Assert.Equal("", bodies[failedLongAgo.Id].Body);
    }
}
