using Campaign.SystemTesting;

namespace Campaign.EndToEndTests;

/// <summary>The services on empty databases and their own virtual host, as a newcomer's first <c>./run.sh --demo</c> meets them.</summary>
public sealed class EmptySystem : IAsyncLifetime
{
    public CampaignSystem System { get; private set; } = null!;

    /// <summary>Each service's output from its start until it was ready, taken before anything else ran.</summary>
    public IReadOnlyDictionary<Service, string> StartOutput { get; private set; } = new Dictionary<Service, string>();

    public async Task InitializeAsync()
    {
        System = await CampaignSystem.StartOnEmptyServersAsync();
        StartOutput = System.Services.ToDictionary(s => s.Service, s => s.ReadLog());
    }

    public async Task DisposeAsync()
    {
        if (System is not null)
            await System.DisposeAsync();
    }
}
