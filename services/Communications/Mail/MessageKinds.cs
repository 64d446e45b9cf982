namespace Communications.Mail;

/// <summary>The kinds of mail the campaign sends.</summary>
public static class MessageKinds
{
    /// <summary>Thanks a donor for their first contribution; one per donor.</summary>
    public const string DonorThankYou = "donor-thank-you";

    /// <summary>Welcomes a new volunteer; one per volunteer.</summary>
    public const string VolunteerWelcome = "volunteer-welcome";

    /// <summary>Thanks a donor in writing because nobody made their thank-you call in time; at most one per donor.</summary>
    public const string DonorThankYouLetter = "donor-thank-you-letter";

    public static readonly IReadOnlyList<string> All = [DonorThankYou, VolunteerWelcome, DonorThankYouLetter];
}
