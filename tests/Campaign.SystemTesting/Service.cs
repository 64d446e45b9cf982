namespace Campaign.SystemTesting;

/// <summary>The three services, and the operators' page. The name is the project, the dll and the connection string name.</summary>
public enum Service
{
    CampaignFinance,
    VolunteerCoordinator,
    Communications,

    /// <summary>The operators' page (services/Operations): no database, no broker connection of its own.</summary>
    Operations,
}

public static class ServiceList
{
    /// <summary>The three services with a database, an outbox and queues.</summary>
    public static IReadOnlyList<Service> WithDatabase { get; } = [Service.CampaignFinance, Service.VolunteerCoordinator, Service.Communications];
}
