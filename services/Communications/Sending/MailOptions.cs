namespace Communications.Sending;

/// <summary>How the sender works through the queue (<c>Mail:*</c> settings).</summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    /// <summary>Fallback poll for due messages; a local commit wakes the sender at once.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Messages sent at the same time (each worker claims its own row, and has its own SMTP connection). One at a time
    /// kept the last thank-you email seconds behind a burst of contributions.
    /// </summary>
    public int MaxConcurrentSends { get; set; } = 4;

    /// <summary>Attempts before a message is given up on (status failed).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait after the first failed attempt; doubles per attempt, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one attempt (connect, send) may take before it counts as failed.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the pickup-folder channel writes <c>.eml</c> files when no SMTP server is set; default <c>.local/mail-pickup</c> under the content root.</summary>
    public string? PickupFolder { get; set; }
}

/// <summary>The SMTP server (<c>Smtp:*</c> settings). Without <see cref="Host"/>, mail goes to the pickup folder.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Sender of every mail (also used by the pickup folder).</summary>
    public string From { get; set; } = "Campaign <thanks@campaign.example>";

    /// <summary>
    /// Unset (default): STARTTLS whenever the server offers it, required when a <see cref="Username"/> is set (TLS on connect
    /// on port 465). <c>true</c>: TLS required.
    /// <c>false</c>: never, for a server that offers STARTTLS with a certificate nobody can check.
    /// </summary>
    public bool? UseTls { get; set; }
}
