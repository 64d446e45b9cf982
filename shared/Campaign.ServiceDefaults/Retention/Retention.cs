using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Campaign.ServiceDefaults.Retention;

/// <summary>How long each kind of stored personal data is kept (<c>Retention:*</c>), and how often the purge runs.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Keep-times by policy name, e.g. <c>Retention:Keep:IdempotentResponses = 3.00:00:00</c>.</summary>
    public Dictionary<string, TimeSpan> Keep { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One kind of data that expires: what it is called, how long it is kept by default, and how it is purged.</summary>
public interface IRetentionPolicy
{
    string Name { get; }

    TimeSpan DefaultKeep { get; }

    /// <summary>Purges what was stored before <paramref name="cutoff"/>; returns how many rows it changed.</summary>
    Task<int> PurgeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}

public static class RetentionExtensions
{
    /// <summary>Adds a policy (scoped: it gets the service's DbContext); one background loop runs every policy of the service.</summary>
    public static IHostApplicationBuilder AddRetentionPolicy<TPolicy>(this IHostApplicationBuilder builder)
        where TPolicy : class, IRetentionPolicy
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<RetentionOptions>(builder.Configuration.GetSection(RetentionOptions.Section));
        builder.Services.AddScoped<IRetentionPolicy, TPolicy>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RetentionService>());
        return builder;
    }
}

/// <summary>Runs every retention policy at start and then every <see cref="RetentionOptions.PurgeInterval"/>.</summary>
public sealed partial class RetentionService(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, TimeProvider clock,
    ILogger<RetentionService> logger) : BackgroundService
{
    /// <summary>One pass over every policy; returns the rows each changed.</summary>
    public async Task<IReadOnlyDictionary<string, int>> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        var purged = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var scope = scopes.CreateAsyncScope();
        foreach (var policy in scope.ServiceProvider.GetServices<IRetentionPolicy>())
        {
            var keep = options.Value.Keep.TryGetValue(policy.Name, out var configured) ? configured : policy.DefaultKeep;
            var count = await policy.PurgeAsync(clock.GetUtcNow() - keep, cancellationToken);
            purged[policy.Name] = count;
            if (count > 0)
                LogPurged(logger, count, policy.Name, keep);
        }
        return purged;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PurgeInterval, clock);
        do
        {
            try
            {
                await PurgeOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be down for a while: the next pass tries again.
                LogFailed(logger, exception.GetBaseException().Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "Retention: purged {Count} {Policy} older than {Keep}.")]
    static partial void LogPurged(ILogger logger, int count, string policy, TimeSpan keep);

    [LoggerMessage(LogLevel.Warning, "Retention: the purge failed ({Reason}); it runs again at the next interval.")]
    static partial void LogFailed(ILogger logger, string reason);
}
