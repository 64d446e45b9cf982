namespace Campaign.Contracts;

/// <summary>
/// The finance desk corrected a donor's name, postal address, employer or occupation. Carries the name (what letters are
/// addressed with) and which fields changed; the address, employer and occupation stay in CampaignFinance. Published by
/// CampaignFinance.
/// </summary>
/// <param name="DonorId">The donor's id in CampaignFinance.</param>
/// <param name="Name">The donor's name after the correction.</param>
/// <param name="ChangedFields">The JSON names of the corrected fields: name, address, employer, occupation.</param>
/// <param name="OccurredAt">When the correction was committed.</param>
public sealed record DonorUpdated(
    Guid DonorId,
    string Name,
    IReadOnlyList<string> ChangedFields,
    DateTimeOffset OccurredAt);
