namespace Campaign.LocalIssuer;

/// <summary>The issuer's settings: <c>.local/issuer/issuer.json</c>, written by <c>deploy/local/infra up</c> with generated secrets.</summary>
public sealed class IssuerOptions
{
    public const string Section = "Issuer";

    /// <summary>The issuer's own address, as it appears in the tokens' <c>iss</c> claim and in discovery.</summary>
    public Uri? Url { get; set; }

    /// <summary>A PEM file with the RSA private key that signs the tokens (its public half is served as JWKS).</summary>
    public string? SigningKeyFile { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public List<IssuerClient> Clients { get; } = [];
}

/// <summary>A calling system: its id and secret, the scopes it may ask for, and whether it may ask on behalf of a person.</summary>
public sealed class IssuerClient
{
    public string Id { get; set; } = "";

    public string Secret { get; set; } = "";

    public List<string> Scopes { get; } = [];

    /// <summary>May use the person grant (<see cref="CampaignScopes.PersonGrant"/>): the operators' tools only.</summary>
    public bool ActsForPeople { get; set; }
}
