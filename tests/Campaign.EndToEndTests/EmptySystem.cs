using Campaign.SystemTesting;

namespace Campaign.EndToEndTests;

/// <summary>The services on empty databases and their own virtual host, as a newcomer's first <c>./run.sh --demo</c> meets them.</summary>
public sealed class EmptySystem : IAsyncLifetime
{
    /// <summary>
    /// As ./run.sh --demo sets it. Jordan's call must be made before it runs out: with 15 s a slow first start (a broker just
    /// booted, cold JIT) let Jordan's deadline pass too, and the demo counted two letters.
    /// </summary>
    public const int CallDeadlineSeconds = 30;

    public CampaignSystem System { get; private set; } = null!;

    /// <summary>Each service's output from its start until it was ready, taken before anything else ran.</summary>
    public IReadOnlyDictionary<Service, string> StartOutput { get; private set; } = new Dictionary<Service, string>();

    public async Task InitializeAsync()
    {
        // As ./run.sh --demo starts them: thank-you calls are overdue after seconds, so the demo can show the letter.
        System = await CampaignSystem.StartOnEmptyServersAsync(settings: new Dictionary<string, string>
        {
            ["ThankYouCalls__CallDeadline"] = $"00:00:{CallDeadlineSeconds:00}",
        });
        var page = await System.StartOperationsPageAsync();
        StartOutput = System.Services.Append(page).ToDictionary(s => s.Service, s => s.ReadLog());
    }

    public async Task DisposeAsync()
    {
        if (System is not null)
            await System.DisposeAsync();
    }
}
