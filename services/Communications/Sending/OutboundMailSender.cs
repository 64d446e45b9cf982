using System.Data;
using Campaign.Outbox.Delivery;
using Communications.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Communications.Sending;

/// <summary>
/// Delivers pending outbound messages through the <see cref="IMailChannel"/>, one transaction per message, several messages
/// at a time (<see cref="MailOptions.MaxConcurrentSends"/>): the row is claimed with <c>FOR UPDATE SKIP LOCKED</c> (so
/// workers and instances never send the same row at once) and stays locked while it is sent; the attempt, and the
/// message's new status, commit together.
/// </summary>
/// <remarks>
/// Delivery to the mail server is at least once: if the process dies after the server accepted a message but before the
/// commit, the message is sent again. Every copy carries the same Message-ID (<c>&lt;{id}@campaign.example&gt;</c>), so the
/// mail system can drop the duplicate; the window is a single database round trip. A sent message is never sent again.
/// </remarks>
public sealed partial class OutboundMailSender(
    IServiceScopeFactory scopes,
    IMailChannel channel,
    OutboundMailSignal signal,
    IOptions<MailOptions> mailOptions,
    IOptions<SmtpOptions> smtpOptions,
    TimeProvider clock,
    ILogger<OutboundMailSender> logger) : BackgroundService
{
    public const string MessageIdDomain = "campaign.example";

    static readonly TimeSpan DueAlreadyRecheck = TimeSpan.FromSeconds(1);

    readonly MailOptions _options = mailOptions.Value;
    readonly MailboxAddress _from = MailboxAddress.Parse(smtpOptions.Value.From);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger, channel.GetType().Name, _options.MaxConcurrentSends);
        // Workers never send the same row: each claim skips the rows another one has locked.
        return Task.WhenAll(Enumerable.Range(0, _options.MaxConcurrentSends).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)));
    }

    async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.PollInterval;
            try
            {
                // What was announced so far, this pass sees; a commit during the pass makes the wait below return at once.
                signal.Consume();
                // A wake goes to one worker: a second mail due right after the first is a burst, and brings in another
                // worker, so it goes out in parallel. (Waking one on the first mail cost each lone mail an empty claim and
                // look-ahead in a second worker: issue 14's statement count.)
                for (var sent = 0; ; sent++)
                {
                    if (await SendNextAsync(stoppingToken) is { } nothingDue)
                    {
                        wait = nothingDue;
                        break;
                    }
                    if (sent == 1)
                        signal.Wake();
                }
            }
            catch (ObjectDisposedException exception) when (exception.ObjectName == nameof(IServiceProvider))
            {
                return; // the host is gone (it failed to start, or was disposed without being stopped)
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The database is down or the schema not there yet: try again on the next poll.
                LogPassFailed(logger, exception);
            }

            await signal.WaitAsync(wait, clock, stoppingToken);
        }
    }

    /// <summary>Claims one due message and tries to send it: null when one was; else, none being due, how long to wait.</summary>
    async Task<TimeSpan?> SendNextAsync(CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommunicationsDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, stoppingToken);

        var now = clock.GetUtcNow();
        var claimed = await db.OutboundMessages
            .FromSql($"""
                SELECT * FROM "OutboundMessages"
                WHERE "Status" = {OutboundMessageStatus.Pending} AND "NextAttemptAt" <= {now}
                ORDER BY "NextAttemptAt"
                LIMIT 1
                FOR UPDATE SKIP LOCKED
                """)
            .AsTracking()
            .ToListAsync(stoppingToken);
        if (claimed.Count == 0)
            return await UntilNextRetryAsync(db, stoppingToken);

        var message = claimed[0];
        var attemptNo = message.Attempts + 1;
        var error = await TrySendAsync(message, stoppingToken);

        // Recorded even while stopping: a message the server accepted must not stay pending.
        var at = clock.GetUtcNow();
        message.Attempts = attemptNo;
        db.SendAttempts.Add(new SendAttempt
        {
            MessageId = message.Id,
            AttemptNo = attemptNo,
            At = at,
            Outcome = error is null ? SendAttemptOutcome.Sent : SendAttemptOutcome.Failed,
            Error = error,
        });

        if (error is null)
        {
            message.Status = OutboundMessageStatus.Sent;
            message.SentAt = at;
            message.LastError = null;
            LogSent(logger, message.Id, attemptNo);
        }
        else if (attemptNo >= _options.MaxAttempts)
        {
            message.Status = OutboundMessageStatus.Failed;
            message.LastError = error;
            LogGaveUp(logger, message.Id, attemptNo);
        }
        else
        {
            var delay = Backoff.After(attemptNo, _options.RetryDelay, _options.MaxRetryDelay);
            message.LastError = error;
            message.NextAttemptAt = at + delay;
            LogWillRetry(logger, message.Id, attemptNo, delay.TotalSeconds);
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return null;
    }

    /// <summary>
    /// How long until the earliest pending message is due again (a message backing off), at most the poll interval.
    /// One due already was either locked by another instance or became due just after the claim: look again shortly.
    /// Asked on the empty claim's connection, not a scope and connection of its own.
    /// </summary>
    async Task<TimeSpan> UntilNextRetryAsync(CommunicationsDbContext db, CancellationToken stoppingToken)
    {
        var next = await db.OutboundMessages
            .Where(m => m.Status == OutboundMessageStatus.Pending)
            .MinAsync(m => (DateTimeOffset?)m.NextAttemptAt, stoppingToken);
        if (next is null)
            return _options.PollInterval;
        var until = next.Value - clock.GetUtcNow();
        // Timers round to milliseconds and may fire a little early: aim just past the due time.
        var wait = until > TimeSpan.Zero ? until + TimeSpan.FromMilliseconds(5) : DueAlreadyRecheck;
        return wait < _options.PollInterval ? wait : _options.PollInterval;
    }

    /// <returns>Null when the channel accepted the message, else why not (without personal data).</returns>
    async Task<string?> TrySendAsync(OutboundMessage message, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            await channel.SendAsync(message.Id, ToMime(message), timeout.Token);
            return null;
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            LogAttemptFailed(logger, message.Id, exception.GetType().Name);
            return exception is OperationCanceledException
                ? $"No answer within {_options.SendTimeout.TotalSeconds:0.###} s."
                : Describe(exception, message.Recipient);
        }
    }

    MimeMessage ToMime(OutboundMessage message)
    {
        var mime = new MimeMessage
        {
            // Stable across attempts and instances: a copy sent twice is recognisably the same message.
            MessageId = $"{message.Id}@{MessageIdDomain}",
            Date = message.CreatedAt,
            Subject = message.Subject,
            Body = new TextPart(MimeKit.Text.TextFormat.Plain) { Text = message.Body },
        };
        mime.From.Add(_from.Clone());
        mime.To.Add(MailboxAddress.Parse(message.Recipient));
        return mime;
    }

    /// <summary>The error for operators: its type and message, with the recipient's address taken out, kept short.</summary>
    static string Describe(Exception exception, string recipient)
    {
        var inner = exception.InnerException is { } cause && cause.Message != exception.Message ? $" ({cause.Message})" : "";
        var text = $"{exception.GetType().Name}: {exception.Message}{inner}";
        if (recipient.Length > 0)
            text = text.Replace(recipient, "<recipient>", StringComparison.OrdinalIgnoreCase);
        return text.Length <= 1000 ? text : text[..1000];
    }

    [LoggerMessage(LogLevel.Information, "Outbound mail sender started ({Channel}, {Workers} at a time).")]
    static partial void LogStarted(ILogger logger, string channel, int workers);

    [LoggerMessage(LogLevel.Information, "Sent outbound message {MessageId} (attempt {Attempt}).")]
    static partial void LogSent(ILogger logger, Guid messageId, int attempt);

    [LoggerMessage(LogLevel.Warning, "Attempt to send outbound message {MessageId} failed ({ErrorType}).")]
    static partial void LogAttemptFailed(ILogger logger, Guid messageId, string errorType);

    [LoggerMessage(LogLevel.Warning, "Outbound message {MessageId} failed attempt {Attempt}; next attempt in {DelaySeconds:0.#} s.")]
    static partial void LogWillRetry(ILogger logger, Guid messageId, int attempt, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "Outbound message {MessageId} failed {Attempt} attempts; giving up (status failed).")]
    static partial void LogGaveUp(ILogger logger, Guid messageId, int attempt);

    [LoggerMessage(LogLevel.Warning, "Outbound mail pass failed; retrying on the next poll.")]
    static partial void LogPassFailed(ILogger logger, Exception exception);
}
