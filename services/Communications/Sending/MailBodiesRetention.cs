using Campaign.ServiceDefaults.Retention;
using Communications.Data;
using Microsoft.EntityFrameworkCore;

namespace Communications.Sending;

/// <summary>
/// A sent mail's text (the donor's name, the gift) is emptied once it is old enough (<c>Retention:Keep:MailBodies</c>, default
/// 30 days after it was sent, or after it was given up on); who was written to, when and how it went stay, for the
/// campaign's record of its correspondence.
/// </summary>
public sealed class MailBodiesRetention(CommunicationsDbContext db) : IRetentionPolicy
{
    public string Name => "MailBodies";

    public TimeSpan DefaultKeep => TimeSpan.FromDays(30);

    public Task<int> PurgeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        db.OutboundMessages
            .Where(m => m.Body != "" && ((m.Status == OutboundMessageStatus.Sent && m.SentAt < cutoff)
                || ((m.Status == OutboundMessageStatus.Failed || m.Status == OutboundMessageStatus.NoAddress) && m.CreatedAt < cutoff)))
            .ExecuteUpdateAsync(m => m.SetProperty(x => x.Body, ""), cancellationToken);
}
