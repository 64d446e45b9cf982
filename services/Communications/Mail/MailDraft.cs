namespace Communications.Mail;

/// <summary>A mail ready to be queued: what it is, whom it is about, to whom it goes and what it says.</summary>
/// <param name="SourceEventKey">Whom the mail is about (donor or volunteer id); one mail per kind and key.</param>
public sealed record MailDraft(string Kind, string SourceEventKey, string Recipient, string Subject, string Body);
