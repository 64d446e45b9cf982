using System.Collections.Concurrent;
using System.Net.Security;
using Campaign.ServiceDefaults;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Communications.Sending;

/// <summary>
/// Delivers through an SMTP server (MailKit). Connections stay open and are reused by the next message: a connection per
/// message (TCP, greeting, EHLO, QUIT) was the sender's bottleneck, well below 200 mails/s (bench/http.sh). A connection
/// idle for longer than <see cref="IdleLimit"/> is closed rather than reused, since servers drop idle clients.
/// </summary>
public sealed class SmtpMailChannel(IOptions<SmtpOptions> options, TimeProvider clock, IConfiguration configuration) : IMailChannel, IAsyncDisposable
{
    static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(20);

    // The campaign's own CA (Tls:TrustedCaFile), when the mail server's certificate is not signed by a public one.
    readonly RemoteCertificateValidationCallback? _validate = TrustedCa.ValidationCallback(configuration);

    readonly ConcurrentBag<(SmtpClient Client, DateTimeOffset IdleSince)> _idle = [];
    volatile bool _disposed;

    public async Task SendAsync(Guid outboundMessageId, MimeMessage message, CancellationToken cancellationToken)
    {
        if (TakeIdle() is { } kept)
        {
            try
            {
                await kept.SendAsync(message, cancellationToken);
                Return(kept);
                return;
            }
            catch (Exception exception) when (IsDropped(exception) && !cancellationToken.IsCancellationRequested)
            {
                // The server closed the kept connection (timeout, restart) before it took the message: use a new one.
                kept.Dispose();
            }
            catch
            {
                kept.Dispose();
                throw;
            }
        }

        var client = await ConnectAsync(cancellationToken);
        try
        {
            await client.SendAsync(message, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        Return(client);
    }

    static bool IsDropped(Exception exception) =>
        exception is IOException or ServiceNotConnectedException or SmtpProtocolException;

    SmtpClient? TakeIdle()
    {
        while (_idle.TryTake(out var idle))
        {
            if (idle.Client.IsConnected && clock.GetUtcNow() - idle.IdleSince < IdleLimit)
                return idle.Client;
            idle.Client.Dispose();
        }
        return null;
    }

    void Return(SmtpClient client)
    {
        if (_disposed)
            client.Dispose();
        else
            _idle.Add((client, clock.GetUtcNow()));
    }

    async Task<SmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        var client = new SmtpClient();
        try
        {
            // STARTTLS whenever the server offers it, unless turned off (UseTls=false); required with UseTls=true.
            // With a login, TLS is required (unless turned off): an attacker who strips the STARTTLS offer must not get the
            // password.
            var security = smtp.UseTls switch
            {
                false => SecureSocketOptions.None,
                _ when smtp.Port == 465 => SecureSocketOptions.SslOnConnect,
                null when string.IsNullOrEmpty(smtp.Username) => SecureSocketOptions.StartTlsWhenAvailable,
                _ => SecureSocketOptions.StartTls,
            };
            if (_validate is not null)
                client.ServerCertificateValidationCallback = _validate;
            await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Smtp:Host is not set."), smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.Username))
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Says goodbye on the kept connections (a server may log an abrupt close as an error).</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        while (_idle.TryTake(out var idle))
        {
            try
            {
                await idle.Client.DisconnectAsync(quit: true, timeout.Token);
            }
            catch (Exception exception) when (exception is IOException or SmtpProtocolException or OperationCanceledException or ServiceNotConnectedException)
            {
            }
            idle.Client.Dispose();
        }
    }
}
