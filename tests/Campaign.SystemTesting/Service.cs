namespace Campaign.SystemTesting;

/// <summary>The three services. The name is the project, the dll and the connection string name.</summary>
public enum Service
{
    CampaignFinance,
    VolunteerCoordinator,
    Communications,
}
