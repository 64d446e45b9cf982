namespace Communications.Features.Messages;

/// <summary>
/// An outbound message as an operator sees it: what, to whom, and how delivery went. Never the body, which holds the
/// recipient's name (and, for donors, their contribution).
/// </summary>
/// <param name="SourceEventKey">The donor or volunteer id the message is about.</param>
/// <param name="NextAttemptAt">When the next attempt is due (pending messages only).</param>
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
