namespace CampaignFinance.Data;

/// <summary>A person who gives (or may give) to the organization.</summary>
public sealed class Donor
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>
    /// The name compared when looking for a possible duplicate: lower-case, without punctuation, single spaces. Kept up to
    /// date with <see cref="Name"/>.
    /// </summary>
    public required string NormalizedName { get; set; }

    /// <summary>As the donor typed it; null for a donor who gave by check or cash without one.</summary>
    public string? Email { get; set; }

    /// <summary>Lower-case copy of <see cref="Email"/>, unique when given: one donor per address, compared case-insensitively.</summary>
    public string? NormalizedEmail { get; set; }

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

    /// <summary>PostgreSQL's row version (<c>xmin</c>): the donor's ETag, and the check that a correction is not based on a stale read.</summary>
    public uint Version { get; set; }
}
