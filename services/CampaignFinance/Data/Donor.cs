namespace CampaignFinance.Data;

/// <summary>A person who gives (or may give) to the organization.</summary>
public sealed class Donor
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>As the donor typed it.</summary>
    public required string Email { get; set; }

    /// <summary>Lower-case copy of <see cref="Email"/>, unique: one donor per address, compared case-insensitively.</summary>
    public required string NormalizedEmail { get; set; }

    public string? AddressLine1 { get; set; }

    public string? AddressLine2 { get; set; }

    public string? City { get; set; }

    /// <summary>Two-letter USPS code, upper-case.</summary>
    public string? State { get; set; }

    /// <summary>ZIP or ZIP+4.</summary>
    public string? PostalCode { get; set; }

    /// <summary>Itemized contributions report the contributor's employer and occupation (Form 8872).</summary>
    public string? Employer { get; set; }

    public string? Occupation { get; set; }

    public DateTimeOffset RegisteredAt { get; set; }

    /// <summary>
    /// When the donor's first contribution was recorded (and DonorSecured published); null before. Set under a row lock
    /// in the transaction that records that contribution, so exactly one contribution secures a donor.
    /// </summary>
    public DateTimeOffset? SecuredAt { get; set; }
}
