namespace Communications.Features.Messages;

/// <summary>
/// An outbound message as an operator sees it: what, to whom, and how delivery went. Never the body, which holds the
/// recipient's name (and, for donors, their contribution).
/// </summary>
/// <param name="Id">The outbound message id (also in the mail's Message-ID header).</param>
/// <param name="Kind">donor-thank-you, volunteer-welcome or donor-thank-you-letter.</param>
/// <param name="SourceEventKey">The donor or volunteer id the message is about.</param>
/// <param name="Recipient">The recipient's email address.</param>
/// <param name="Subject">The mail's subject.</param>
/// <param name="Status">pending, sent, failed or awaiting-address.</param>
/// <param name="Attempts">Attempts made to send it so far.</param>
/// <param name="LastError">Why the last attempt failed (null once sent).</param>
/// <param name="CreatedAt">When the message was queued.</param>
/// <param name="NextAttemptAt">When the next attempt is due (pending messages only).</param>
/// <param name="SentAt">When the mail server accepted it.</param>
public sealed record MessageSummary(
    Guid Id,
    string Kind,
    string SourceEventKey,
    string Recipient,
    string Subject,
    string Status,
    int Attempts,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? SentAt);

public sealed record MessagePage(IReadOnlyList<MessageSummary> Items, int Page, int PageSize, int TotalCount);

public sealed record SendAttemptResponse(int AttemptNo, DateTimeOffset At, string Outcome, string? Error);

public sealed record MessageDetails(MessageSummary Message, IReadOnlyList<SendAttemptResponse> SendAttempts);

/// <summary>What to list: every filter optional; page from 1, page size 1 to 100 (default 20).</summary>
/// <param name="Recipient">An email address, compared case-insensitively.</param>
/// <param name="Kind">donor-thank-you, volunteer-welcome or donor-thank-you-letter.</param>
/// <param name="Status">pending, sent, failed or awaiting-address.</param>
/// <param name="Page">The page, from 1.</param>
/// <param name="PageSize">Messages per page, 1 to 100.</param>
public sealed record MessageSearch(string? Recipient, string? Kind, string? Status, int? Page, int? PageSize);
