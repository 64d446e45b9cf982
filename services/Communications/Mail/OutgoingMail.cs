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

    /// <summary>Queues the mail for the sender, unless one of its kind about the same donor or volunteer exists.</summary>
    public Task QueueOnceAsync(MailDraft draft, CancellationToken cancellationToken) => AddOnceAsync(draft, awaitingAddress: false, cancellationToken);

    /// <summary>
    /// Keeps a written mail whose address is not known here yet (status awaiting-address, no recipient), once per kind and
    /// key, until <see cref="ReleaseAwaitingAsync"/> gives it one.
    /// </summary>
    public Task HoldOnceAsync(MailDraft draft, CancellationToken cancellationToken) => AddOnceAsync(draft, awaitingAddress: true, cancellationToken);

    /// <summary>Gives the mail of <paramref name="kind"/> about <paramref name="sourceEventKey"/>, if it awaits an address, this one.</summary>
    public async Task ReleaseAwaitingAsync(string kind, string sourceEventKey, string recipient, CancellationToken cancellationToken)
    {
        // By kind and key: the unique index's lookup (by key alone, every DonorSecured scanned the whole table).
        var waiting = await db.OutboundMessages
            .Where(m => m.Kind == kind && m.SourceEventKey == sourceEventKey && m.Status == OutboundMessageStatus.AwaitingAddress)
            .ToListAsync(cancellationToken);
        if (waiting.Count == 0)
            return;
        var now = clock.GetUtcNow();
        foreach (var message in waiting)
        {
            message.NextAttemptAt = now;
            Address(message, recipient);
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var message in waiting)
            LogAddressed(logger, message.Id, message.Kind, sourceEventKey);
    }

    /// <summary>
    /// Serialises, until the inbox transaction ends, the consumers that write mail about one donor or volunteer: a letter and
    /// the thank-you it takes its address from come through different queues in either order, and each must see what the
    /// other committed (without the lock both could miss the other and the letter would wait for ever).
    /// </summary>
    public async Task LockAboutAsync(string sourceEventKey, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({MailLockSpace}, hashtext({sourceEventKey}))", cancellationToken);

    /// <summary>The first key of the two-key advisory locks taken on mail: keeps them apart from any other lock's keys.</summary>
    const int MailLockSpace = 0x6d61696c; // "mail"

    async Task AddOnceAsync(MailDraft draft, bool awaitingAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (await db.OutboundMessages.AnyAsync(m => m.Kind == draft.Kind && m.SourceEventKey == draft.SourceEventKey, cancellationToken))
        {
            LogAlreadyQueued(logger, draft.Kind, draft.SourceEventKey);
            return;
        }

        var now = clock.GetUtcNow();
        var message = new OutboundMessage
        {
            Id = Guid.CreateVersion7(now),
            Kind = draft.Kind,
            SourceEventKey = draft.SourceEventKey,
            Recipient = "",
            NormalizedRecipient = "",
            Subject = draft.Subject,
            Body = draft.Body,
            Status = OutboundMessageStatus.AwaitingAddress,
            CreatedAt = now,
            NextAttemptAt = now,
        };
        if (!awaitingAddress)
            Address(message, draft.Recipient);

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

        if (awaitingAddress)
            LogAwaitingAddress(logger, message.Id, draft.Kind, draft.SourceEventKey);
        else
            LogQueued(logger, message.Id, draft.Kind, draft.SourceEventKey);
    }

    /// <summary>
    /// Addresses the message and makes it the sender's (pending); no-address when the donor gave none, failed when no mail
    /// server would take the address.
    /// </summary>
    void Address(OutboundMessage message, string address)
    {
        if (address.Length == 0)
        {
            // Nothing to retry and nothing wrong: the row records that this one was not emailed.
            message.Status = OutboundMessageStatus.NoAddress;
            LogNoAddress(logger, message.Id, message.Kind, message.SourceEventKey);
            return;
        }

        // An overlong address cannot be delivered anyway; cut to the column's size so the row (marked failed) still fits.
        var recipient = address.Length <= MaxAddressLength ? address : address[..MaxAddressLength];
        message.Recipient = recipient;
        message.NormalizedRecipient = recipient.ToUpperInvariant();
        message.Status = OutboundMessageStatus.Pending;

        // An address no mail server would take is not worth eight attempts: keep it visible to operators as failed.
        if (!IsDeliverableAddress(address))
        {
            message.Status = OutboundMessageStatus.Failed;
            message.LastError = "The recipient address is not a valid email address.";
            LogUndeliverable(logger, message.Id, message.Kind, message.SourceEventKey);
        }
    }

    /// <summary>A bare address with a domain (no display name), as MimeKit parses it.</summary>
    static bool IsDeliverableAddress(string address) =>
        address.Length is > 0 and <= MaxAddressLength
        && !address.Any(char.IsWhiteSpace)
        && MailboxAddress.TryParse(address, out var mailbox)
        && string.IsNullOrEmpty(mailbox.Name)
        && mailbox.Domain.Length > 0
        && mailbox.Address == address;

    [LoggerMessage(LogLevel.Information, "Outbound message {MessageId} ({Kind} for {SourceEventKey}) not sent: no email address was given.")]
    static partial void LogNoAddress(ILogger logger, Guid messageId, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Information, "Queued outbound message {MessageId} ({Kind} for {SourceEventKey}).")]
    static partial void LogQueued(ILogger logger, Guid messageId, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Information, "A {Kind} message for {SourceEventKey} is already queued; not queuing another.")]
    static partial void LogAlreadyQueued(ILogger logger, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Information, "Outbound message {MessageId} ({Kind} for {SourceEventKey}) awaits its address, which comes with the thank-you mail's event.")]
    static partial void LogAwaitingAddress(ILogger logger, Guid messageId, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Information, "Outbound message {MessageId} ({Kind} for {SourceEventKey}) has its address now.")]
    static partial void LogAddressed(ILogger logger, Guid messageId, string kind, string sourceEventKey);

    [LoggerMessage(LogLevel.Warning, "Outbound message {MessageId} ({Kind} for {SourceEventKey}) has an invalid recipient address; marked failed.")]
    static partial void LogUndeliverable(ILogger logger, Guid messageId, string kind, string sourceEventKey);
}
