namespace VolunteerCoordinator.Data;

/// <summary>
/// The call that thanks a newly secured donor: one per donor, made by a phone-banking volunteer.
/// Its status follows from the columns: open (no volunteer), assigned, completed.
/// </summary>
public sealed class ThankYouCall
{
    public Guid Id { get; set; }

    /// <summary>Unique: a donor is thanked once, whichever and however many DonorSecured messages arrive.</summary>
    public Guid DonorId { get; set; }

    /// <summary>Whom the caller asks for. The donor's contact details stay in CampaignFinance.</summary>
    public required string DonorName { get; set; }

    public Guid? VolunteerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? AssignedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>What the caller noted when completing the call.</summary>
    public string? Notes { get; set; }

    /// <summary>PostgreSQL's xmin: two concurrent assignments or completions cannot both win.</summary>
    public uint Version { get; set; }

    public string Status => CompletedAt is not null ? ThankYouCallStatus.Completed
        : VolunteerId is not null ? ThankYouCallStatus.Assigned
        : ThankYouCallStatus.Open;
}

public static class ThankYouCallStatus
{
    public const string Open = "open";
    public const string Assigned = "assigned";
    public const string Completed = "completed";

    public static readonly IReadOnlyList<string> All = [Open, Assigned, Completed];
}
