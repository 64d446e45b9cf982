namespace Operations;

/// <summary>The operators' page's settings (section <c>Operations</c>); the identity provider is <c>Auth:Authority</c>, as for the services.</summary>
public sealed class OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>This page's client at the identity provider (authorization code flow with PKCE).</summary>
    public string ClientId { get; set; } = "operations-page";

    public string? ClientSecret { get; set; }

    /// <summary>
    /// The identity provider's address as people's browsers reach it, when it differs from <c>Auth:Authority</c>, the
    /// address the page itself uses (compose: browsers on the host's port, the page over the compose network).
    /// </summary>
    public Uri? SignInAuthority { get; set; }

    /// <summary>Each service by its name (<c>CampaignFinance</c>) and base address; its queues are the ones named after it.</summary>
    public Dictionary<string, Uri> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>The RabbitMQ management API, with a user tagged <c>monitoring</c> that may read the error queues and write to the default exchange.</summary>
    public BrokerManagementOptions RabbitMq { get; set; } = new();
}

public sealed class BrokerManagementOptions
{
    public Uri? ManagementUrl { get; set; }

    public string? User { get; set; }

    public string? Password { get; set; }

    public string VirtualHost { get; set; } = "/";
}
