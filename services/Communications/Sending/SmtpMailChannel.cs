using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Communications.Sending;

/// <summary>Delivers through an SMTP server (MailKit), one connection per message.</summary>
public sealed class SmtpMailChannel(IOptions<SmtpOptions> options) : IMailChannel
{
    public async Task SendAsync(Guid outboundMessageId, MimeMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new SmtpClient();
        var security = !smtp.UseTls ? SecureSocketOptions.None
            : smtp.Port == 465 ? SecureSocketOptions.SslOnConnect
            : SecureSocketOptions.StartTls;
        await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Smtp:Host is not set."), smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.Username))
            await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
        await client.SendAsync(message, cancellationToken);

        // Accepted: a failure to say goodbye must not count as a failed send (that would send it again).
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or SmtpProtocolException or OperationCanceledException)
        {
        }
    }
}
