namespace Communications.Mail;

/// <summary>A mail ready to be queued: what it is, whom it is about, to whom it goes and what it says.</summary>
/// <param name="Kind">One of <see cref="MessageKinds"/>.</param>
/// <param name="SourceEventKey">Whom the mail is about (donor or volunteer id); one mail per kind and key.</param>
/// <param name="Recipient">The email address it goes to.</param>
/// <param name="Subject">The subject line (never an amount).</param>
/// <param name="Body">Plain text, signed by the campaign.</param>
public sealed record MailDraft(string Kind, string SourceEventKey, string Recipient, string Subject, string Body);
