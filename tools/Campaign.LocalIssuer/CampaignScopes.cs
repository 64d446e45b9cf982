namespace Campaign.LocalIssuer;

/// <summary>
/// The capabilities a token can carry, and the services (audiences) that honour each. A token is issued for every service one
/// of its scopes belongs to, so a token for the finance desk cannot be replayed against Communications.
/// </summary>
public static class CampaignScopes
{
    /// <summary>
    /// A local stand-in for a person's sign-in: the operators' tools name the person (<c>subject</c>) and the scopes. A real
    /// identity provider signs people in with the authorization code flow instead.
    /// </summary>
    public const string PersonGrant = "urn:campaign:grant-type:person";

    const string Finance = "campaign-finance", Volunteers = "volunteer-coordinator", Communications = "communications", Operations = "operations";

    public static IReadOnlyDictionary<string, string[]> Audiences { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["finance.read"] = [Finance],
        ["finance.write"] = [Finance],
        ["finance.reports"] = [Finance],
        ["volunteers.read"] = [Volunteers],
        ["volunteers.write"] = [Volunteers],
        ["calls.assign"] = [Volunteers],
        ["communications.read"] = [Communications],
        // The operators' page passes the operator's token on to each service; tools/error-queues calls the page with one.
        ["outbox.admin"] = [Finance, Volunteers, Communications, Operations],
        ["audit.read"] = [Finance, Volunteers, Communications],
    };
}
