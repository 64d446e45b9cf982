using System.Globalization;
using System.Text;
using Campaign.Contracts;

namespace Communications.Mail;

/// <summary>The texts of the campaign's mail: friendly, plain text, signed by the campaign.</summary>
public static class Letters
{
    const string Signature = "The Campaign team";

    /// <summary>Thanks a newly secured donor. The amount appears in the body only, never in the subject.</summary>
    public static MailDraft DonorThankYou(DonorSecured donor)
    {
        ArgumentNullException.ThrowIfNull(donor);
        var amount = $"{donor.Amount.ToString("N2", CultureInfo.InvariantCulture)} {donor.Currency}";
        var body = $"""
            Dear {Salutation(donor.Name)},

            Thank you for your generous contribution of {amount}. Supporters like you make this campaign possible,
            and we are truly grateful to have you with us.

            We will keep you posted on what your support makes happen.

            With gratitude,
            {Signature}
            """;
        return new MailDraft(MessageKinds.DonorThankYou, donor.DonorId.ToString(), donor.Email?.Trim() ?? "",
            "Thank you for standing with us", body);
    }

    /// <summary>
    /// Thanks a donor in writing when their thank-you call was not made in time (no amount: the first mail had it). Sent to the
    /// address the donor's thank-you mail went to.
    /// </summary>
    public static MailDraft DonorThankYouLetter(ThankYouCallOverdue overdue, string recipient)
    {
        ArgumentNullException.ThrowIfNull(overdue);
        ArgumentNullException.ThrowIfNull(recipient);
        var body = $"""
            Dear {Salutation(overdue.DonorName)},

            We had hoped to thank you in person with a call, and we are sorry we have not managed to reach you yet.
            So here it is in writing: thank you. Your support means a great deal to everyone working on this campaign.

            If you would like to talk with one of our volunteers, just reply to this message.

            Warm regards,
            {Signature}
            """;
        return new MailDraft(MessageKinds.DonorThankYouLetter, overdue.DonorId.ToString(), recipient,
            "A personal thank-you from the campaign", body);
    }

    /// <summary>Welcomes a volunteer who just signed up.</summary>
    public static MailDraft VolunteerWelcome(VolunteerSignedUp volunteer)
    {
        ArgumentNullException.ThrowIfNull(volunteer);
        var skills = (volunteer.Skills ?? []).Select(OneLine).Where(s => s.Length > 0).ToList();
        var helpWith = skills.Count > 0
            ? $"You told us you can help with: {string.Join(", ", skills)}. "
            : "";
        var body = $"""
            Dear {Salutation(volunteer.Name)},

            Welcome aboard, and thank you for signing up to volunteer with the campaign!
            {helpWith}A volunteer coordinator will be in touch soon with your first ways to help.

            See you out there,
            {Signature}
            """;
        return new MailDraft(MessageKinds.VolunteerWelcome, volunteer.VolunteerId.ToString(), volunteer.Email?.Trim() ?? "",
            "Welcome to the campaign's volunteer team", body);
    }

    static string Salutation(string? name)
    {
        var oneLine = OneLine(name);
        return oneLine.Length > 0 ? oneLine : "friend";
    }

    /// <summary>Collapses line breaks and runs of white space, so a name cannot reshape the letter.</summary>
    static string OneLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return "";
        var result = new StringBuilder(text.Length);
        foreach (var c in text.Trim())
        {
            var blank = char.IsWhiteSpace(c) || char.IsControl(c);
            if (!blank)
                result.Append(c);
            else if (result.Length > 0 && result[^1] != ' ')
                result.Append(' ');
        }
        return result.ToString();
    }
}
