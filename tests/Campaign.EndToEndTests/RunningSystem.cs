using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.EndToEndTests;

/// <summary>
/// The three services started once for a test class, exporting their spans to an in-test OTLP receiver. Every test makes
/// its own donors and volunteers with addresses under this run's own domain, because the databases, queues and Maildir
/// are shared with every earlier run.
/// </summary>
public sealed class RunningSystem : IAsyncLifetime
{
    public OtlpTraceReceiver Traces { get; } = new();

    public CampaignSystem System { get; private set; } = null!;

    /// <summary>An address nobody else uses: <c>{who}-{random}@{run id}.e2e.example</c>.</summary>
    public string NewEmail(string who) => $"{who}-{Guid.NewGuid().ToString("N")[..12]}@{System.RunId}.e2e.example";

    public async Task InitializeAsync() => System = await CampaignSystem.StartAsync(Traces.ServiceSettings);

    public async Task DisposeAsync()
    {
        if (System is not null)
            await System.DisposeAsync();
        Traces.Dispose();
    }
}
