using Communications.Data;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Npgsql;

namespace Communications.Mail;

/// <summary>
/// Queues a mail for the sender, at most once per kind and source key. Runs inside the consumer's inbox transaction:
/// it only writes the row, it never talks to the mail server.
/// </summary>
public sealed partial class OutgoingMail(CommunicationsDbContext db, TimeProvider clock, ILogger<OutgoingMail> logger)
{
    /// <summary>The longest address SMTP allows (RFC 3696 errata: 64 + 1 + 255), and the size of the column.</summary>
    const int MaxAddressLength = 320;

    public async Task QueueOnceAsync(MailDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (await db.OutboundMessages.AnyAsync(m => m.Kind == draft.Kind && m.SourceEventKey == draft.SourceEventKey, cancellationToken))
        {
            LogAlreadyQueued(logger, draft.Kind, draft.SourceEventKey);
            return;
        }

        var now = clock.GetUtcNow();
        var deliverable = IsDeliverableAddress(draft.Recipient);

        // An overlong address cannot be delivered anyway; cut to the column's size so the row (marked failed) still fits.
        var recipient = draft.Recipient.Length <= MaxAddressLength ? draft.Recipient : draft.Recipient[..MaxAddressLength];
        var message = new OutboundMessage
        {
            Id = Guid.CreateVersion7(now),
            Kind = draft.Kind,
            SourceEventKey = draft.SourceEventKey,
            Recipient = recipient,
            NormalizedRecipient = recipient.ToUpperInvariant(),
            Subject = draft.Subject,
            Body = draft.Body,
            Status = OutboundMessageStatus.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        };

        // An address no mail server would take is not worth eight attempts: keep it visible to operators as failed.
        if (!deliverable)
        {
            message.Status = OutboundMessageStatus.Failed;
            message.LastError = "The recipient address is not a valid email address.";
            LogUndeliverable(logger, message.Id, draft.Kind, draft.SourceEventKey);
        }

        db.OutboundMessages.Add(message);
        try
        {
            // Inside the inbox transaction EF saves behind a savepoint: on a conflict only this insert is undone.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another message about the same donor or volunteer was queued concurrently and committed first.
            db.Entry(message).State = EntityState.Detached;
            LogAlreadyQueued(logger, draft.Kind, draft.SourceEventKey);
            return;
        }

        LogQueued(logger, message.Id, draft.Kind, draft.SourceEventKey);
    }

    /// <summary>A bare address with a domain (no display name), as MimeKit parses it.</summary>
    static bool IsDeliverableAddress(string address) =>
        address.Length is > 0 and <= MaxAddressLength
        && !address.Any(char.IsWhiteSpace)
        && MailboxAddress.TryParse(address, out var mailbox)
        && string.IsNullOrEmpty(mailbox.Name)
        && mailbox.Domain.Length > 0
        && mailbox.Address == address;

    [LoggerMessage(LogLevel.Information, "Queued outbound message {MessageId} ({Kind} for {SourceEventKey}).")]
    static partial void LogQueued(ILogger logger, Guid messageId, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Information, "A {Kind} message for {SourceEventKey} is already queued; not queuing another.")]
    static partial void LogAlreadyQueued(ILogger logger, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Warning, "Outbound message {MessageId} ({Kind} for {SourceEventKey}) has an invalid recipient address; marked failed.")]
    static partial void LogUndeliverable(ILogger logger, Guid messageId, string kind, string sourceEventKey);
}
