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

    /// <summary>The people who may sign in on the issuer's page (the operators), for clients with <see cref="IssuerClient.RedirectUris"/>.</summary>
    public List<IssuerPerson> People { get; } = [];
}

/// <summary>A person who signs in with a password: their subject (the name the services' audit trails record) and scopes.</summary>
public sealed class IssuerPerson
{
    public string Subject { get; set; } = "";

    public string Password { get; set; } = "";

    public List<string> Scopes { get; } = [];
}

/// <summary>A calling system: its id and secret, the scopes it may ask for, and whether it may ask on behalf of a person.</summary>
public sealed class IssuerClient
{
    public string Id { get; set; } = "";

    public string Secret { get; set; } = "";

    public List<string> Scopes { get; } = [];

    /// <summary>May use the person grant (<see cref="CampaignScopes.PersonGrant"/>): the operators' tools only.</summary>
    public bool ActsForPeople { get; set; }

    /// <summary>
    /// Where a web application that signs people in (the authorization code flow with PKCE) may have them sent back. Such a
    /// client gets tokens for signed-in people only, never for itself. A loopback address without a port matches any port
    /// (RFC 8252, section 7.3), as local runs and tests pick theirs.
    /// </summary>
    public List<Uri> RedirectUris { get; } = [];
}
