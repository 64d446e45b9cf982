namespace Communications.Data;

/// <summary>One try at handing an <see cref="OutboundMessage"/> to the mail server.</summary>
public sealed class SendAttempt
{
    public Guid MessageId { get; set; }

    /// <summary>1 for the first attempt.</summary>
    public int AttemptNo { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>One of <see cref="SendAttemptOutcome"/>.</summary>
    public required string Outcome { get; set; }

    /// <summary>Why it failed, without the recipient's address.</summary>
    public string? Error { get; set; }
}

public static class SendAttemptOutcome
{
    public const string Sent = "sent";
    public const string Failed = "failed";
}
