namespace Communications.Data;

/// <summary>
/// One mail the campaign owes someone. Created by a consumer (in the inbox transaction), delivered later by the sender.
/// </summary>
public sealed class OutboundMessage
{
    public Guid Id { get; set; }

    /// <summary>What the mail is for: one of <see cref="Mail.MessageKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>
    /// Whom or what the mail is about (a donor id, a volunteer id). Unique together with <see cref="Kind"/>, so a donor is
    /// thanked once even if two different events about them arrive.
    /// </summary>
    public required string SourceEventKey { get; set; }

    /// <summary>The recipient's email address, as the event gave it (trimmed); empty while <see cref="OutboundMessageStatus.AwaitingAddress"/>.</summary>
    public required string Recipient { get; set; }

    /// <summary>Upper-case <see cref="Recipient"/>, for an indexed case-insensitive search.</summary>
    public required string NormalizedRecipient { get; set; }

    public required string Subject { get; set; }

    /// <summary>Plain text.</summary>
    public required string Body { get; set; }

    /// <summary>One of <see cref="OutboundMessageStatus"/>.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }

    /// <summary>Why the last attempt failed, without the recipient's address.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the sender may try again (pending messages only).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public List<SendAttempt> SendAttempts { get; set; } = [];
}

public static class OutboundMessageStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>
    /// Written, but the address is not known here yet: a letter about a donor whose DonorSecured has not been consumed yet
    /// (the two events come through different queues, in either order). The thank-you mail's consumer gives it the address.
    /// </summary>
    public const string AwaitingAddress = "awaiting-address";

    /// <summary>
    /// Not sent, and never will be: the donor gave no email address (a check or cash gift recorded without one). Kept as
    /// the record that the thank-you was not emailed, for the campaign to thank them another way.
    /// </summary>
    public const string NoAddress = "no-address";

    public static readonly IReadOnlyList<string> All = [Pending, Sent, Failed, AwaitingAddress, NoAddress];
}
