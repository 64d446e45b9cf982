using Campaign.Outbox.Configuration;
using Campaign.Outbox.Relay;
using MassTransit;
using MassTransit.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.BusOutbox;

/// <summary>
/// Chooses the scope's bus context. Inside a consumer that runs behind the inbox, the consumer outbox already
/// captures what it publishes, so the bus outbox steps aside; everywhere else publishing goes to the DbContext.
/// </summary>
sealed class OutboxScopedBusContextProvider<TBus, TDbContext> : IScopedBusContextProvider<TBus>, IDisposable
    where TBus : class, IBus
    where TDbContext : DbContext
{
    public OutboxScopedBusContextProvider(TBus bus, TDbContext dbContext, OutboxNotifier<TDbContext> notifier,
        Bind<TBus, IClientFactory> clientFactory, Bind<TBus, IScopedConsumeContextProvider> consumeContextProvider,
        IScopedConsumeContextProvider globalConsumeContextProvider, IServiceProvider provider, TimeProvider clock,
        OutboxMetrics metrics, ILogger<OutboxScopedBusContextProvider<TBus, TDbContext>> logger)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(consumeContextProvider);
        ArgumentNullException.ThrowIfNull(globalConsumeContextProvider);

        if (consumeContextProvider.Value.HasContext)
            Context = new ConsumeContextScopedBusContext(consumeContextProvider.Value.GetContext(), clientFactory.Value);
        else
        {
            var consumeContext = globalConsumeContextProvider.HasContext ? globalConsumeContextProvider.GetContext() : null;
            Context = new OutboxBusContext<TBus, TDbContext>(bus, dbContext, notifier, clientFactory.Value, provider, consumeContext, clock,
                metrics, logger, Inline(provider));
        }
    }

    public ScopedBusContext Context { get; }

    /// <summary>This process's relay, when it runs here and sends committed units from memory.</summary>
    static OutboxRelay<TDbContext>? Inline(IServiceProvider provider) =>
        provider.GetService(typeof(EntityFrameworkOutboxOptions<TDbContext>)) is EntityFrameworkOutboxOptions<TDbContext> { InlineDelivery: true, DeliveryServiceEnabled: true }
            ? provider.GetService(typeof(OutboxRelay<TDbContext>)) as OutboxRelay<TDbContext>
            : null;

    public void Dispose() => (Context as IDisposable)?.Dispose();
}
