namespace Campaign.Outbox.Tests;

/// <summary>Published by the tests. Run tells one test's messages from another's on the shared exchange.</summary>
public sealed record PledgeRecorded(Guid Run, Guid PledgeId, int Sequence);

/// <summary>Published by <see cref="PledgeAcknowledger"/> from behind the inbox.</summary>
public sealed record PledgeAcknowledged(Guid Run, Guid PledgeId);
