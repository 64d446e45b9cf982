using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Campaign.ServiceDefaults;

/// <summary>The settings a service cannot start without; each registration adds its own.</summary>
public sealed class RequiredSettings
{
    public List<string> Keys { get; } = [];
}

/// <summary>Stops the start with one error naming every missing setting and the environment variable that sets it.</summary>
sealed class RequiredSettingsCheck(IConfiguration configuration, IOptions<RequiredSettings> required) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var missing = required.Value.Keys.Distinct().Where(key => string.IsNullOrWhiteSpace(configuration[key])).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Missing required setting(s): " + string.Join(", ", missing.Select(k => $"'{k}' (environment variable {k.Replace(":", "__", StringComparison.Ordinal)})")));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
