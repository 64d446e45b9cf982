namespace VolunteerCoordinator.Features.ThankYouCalls;

/// <summary>Settings of the thank-you calls (<c>ThankYouCalls</c> section).</summary>
public sealed class ThankYouCallOptions
{
    public const string Section = "ThankYouCalls";

    /// <summary>How long phone-bankers have to make a donor's call before the donor is thanked in writing instead.</summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromDays(3);
}
