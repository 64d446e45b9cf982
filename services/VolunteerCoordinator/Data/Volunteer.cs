namespace VolunteerCoordinator.Data;

/// <summary>A person who signed up to help the campaign.</summary>
public sealed class Volunteer
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The address as the volunteer gave it (trimmed).</summary>
    public required string Email { get; set; }

    /// <summary>Upper-case <see cref="Email"/>: unique, so one address signs up once whatever its case.</summary>
    public required string NormalizedEmail { get; set; }

    /// <summary>Digits with an optional leading +, spaces and dashes removed.</summary>
    public string? Phone { get; set; }

    /// <summary>Values of <see cref="VolunteerSkills"/>.</summary>
    public List<string> Skills { get; set; } = [];

    /// <summary>Values of <see cref="VolunteerAvailability"/>.</summary>
    public List<string> Availability { get; set; } = [];

    public DateTimeOffset SignedUpAt { get; set; }

    /// <summary>
    /// Thank-you calls assigned to this volunteer and not completed. Kept by a trigger on ThankYouCalls, so every writer
    /// keeps it right; it lets DonorSecured find the least busy phone-banker through an index instead of counting every
    /// volunteer's calls for each donor.
    /// </summary>
    public int OpenCalls { get; private set; }
}

public static class VolunteerSkills
{
    public const string PhoneBanking = "phone-banking";
    public const string Canvassing = "canvassing";
    public const string DataEntry = "data-entry";
    public const string EventSupport = "event-support";
    public const string Driving = "driving";
    public const string Translation = "translation";

    public static readonly IReadOnlyList<string> All = [PhoneBanking, Canvassing, DataEntry, EventSupport, Driving, Translation];
}

public static class VolunteerAvailability
{
    public const string WeekdayDaytime = "weekday-daytime";
    public const string WeekdayEvenings = "weekday-evenings";
    public const string WeekendMornings = "weekend-mornings";
    public const string WeekendAfternoons = "weekend-afternoons";

    public static readonly IReadOnlyList<string> All = [WeekdayDaytime, WeekdayEvenings, WeekendMornings, WeekendAfternoons];
}
