namespace Campaign.Testing;

/// <summary>
/// Where the private PostgreSQL, RabbitMQ and SMTP servers started by <c>deploy/local/infra up</c> are: from the
/// environment (./test.sh exports them) or else from the <c>.local/infra.env</c> file that <c>infra up</c> writes.
/// </summary>
public static class TestInfrastructure
{
    static readonly Lazy<Dictionary<string, string>> FileValues = new(ReadInfraFile);

    /// <summary>The repository root (the folder holding Campaign.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Connection string of the admin role (may create databases), on database <c>postgres</c>.</summary>
    public static string PostgresAdmin => Get("CAMPAIGN_PG_ADMIN");

    /// <summary>amqp:// URI of the private RabbitMQ node, vhost included, as its administrator (the operators' user).</summary>
    public static string RabbitMq => Get("ConnectionStrings__RabbitMq");

    /// <summary>The amqp:// URI a service connects with: its own broker user, allowed only its own exchanges and queues.</summary>
    public static string BrokerOf(string service) => Get(service switch
    {
        "CampaignFinance" => "CAMPAIGN_FINANCE_RABBITMQ",
        "VolunteerCoordinator" => "CAMPAIGN_VOLUNTEERS_RABBITMQ",
        "Communications" => "CAMPAIGN_COMMUNICATIONS_RABBITMQ",
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a Campaign service"),
    });

    public static string Get(string key)
    {
        var value = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrEmpty(value))
            return value;
        if (FileValues.Value.TryGetValue(key, out var fromFile))
            return fromFile;
        throw new InvalidOperationException(
            $"'{key}' is not set. Start the private servers first: deploy/local/infra up (./test.sh does it).");
    }

    /// <summary>The settings file as <c>infra</c> wrote it last (CAMPAIGN_LOCAL_DIR/infra.env), read now.</summary>
    public static Dictionary<string, string> ReadInfraFile()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var local = Environment.GetEnvironmentVariable("CAMPAIGN_LOCAL_DIR");
        var path = Path.Combine(string.IsNullOrEmpty(local) ? Path.Combine(RepositoryRoot, ".local") : local, "infra.env");
        if (!File.Exists(path))
            return values;
        foreach (var line in File.ReadAllLines(path))
        {
            var separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && !line.StartsWith('#'))
                values[line[..separator].Trim()] = line[(separator + 1)..].Trim();
        }
        return values;
    }

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Campaign.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Campaign.sln not found above " + AppContext.BaseDirectory);
    }
}
