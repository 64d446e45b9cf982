using MimeKit;

namespace Communications.Sending;

/// <summary>Where outbound mail is handed over: an SMTP server, or a pickup folder when none is configured.</summary>
public interface IMailChannel
{
    /// <summary>Hands one message over; returns only once it was accepted, throws otherwise.</summary>
    /// <param name="outboundMessageId">The id of the outbound message (also in the Message-ID header).</param>
    /// <param name="message">The complete mail.</param>
    /// <param name="cancellationToken">Cancelled when the attempt times out or the service stops.</param>
    Task SendAsync(Guid outboundMessageId, MimeMessage message, CancellationToken cancellationToken);
}
