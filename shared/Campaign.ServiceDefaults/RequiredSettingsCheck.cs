using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Campaign.ServiceDefaults;

/// <summary>The settings a service cannot start without; each registration adds its own.</summary>
public sealed class RequiredSettings
{
    public List<string> Keys { get; } = [];
}

/// <summary>
/// Stops the start with one error naming every missing setting and the environment variable that sets it, or every setting
/// that still holds a placeholder password from .env.example.
/// </summary>
sealed class RequiredSettingsCheck(IConfiguration configuration, IOptions<RequiredSettings> required) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var missing = required.Value.Keys.Distinct().Where(key => string.IsNullOrWhiteSpace(configuration[key])).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Missing required setting(s): " + string.Join(", ", missing.Select(k => $"'{k}' (environment variable {Variable(k)})")));
        }

        // .env.example's passwords are placeholders: a deployment that kept one must not start with it.
        var placeholders = configuration.GetSection("ConnectionStrings").GetChildren().Append(configuration.GetSection("Smtp:Password"))
            .Where(setting => setting.Value?.Contains(PlaceholderMarker, StringComparison.OrdinalIgnoreCase) == true)
            .Select(setting => $"'{setting.Path}' (environment variable {Variable(setting.Path)})")
            .ToList();
        if (placeholders.Count > 0)
        {
            throw new InvalidOperationException(
                $"Setting(s) {string.Join(", ", placeholders)} still hold a placeholder password ('{PlaceholderMarker}...' from .env.example): set real ones.");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>How every password in .env.example begins.</summary>
    public const string PlaceholderMarker = "change-me";

    static string Variable(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
