using Campaign.Outbox.Relay;
using MassTransit;
using MassTransit.Clients;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Transports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.BusOutbox;

/// <summary>
/// The scope's bus context when the bus outbox is on: <see cref="IPublishEndpoint"/> and <see cref="ISendEndpointProvider"/>
/// resolved in the scope store messages in its DbContext. The caller's SaveChanges (or transaction) commits them
/// with the business rows; each SaveChanges that stores messages is one unit of work (one OutboxState row).
/// </summary>
sealed class OutboxBusContext<TBus, TDbContext> : ScopedBusContext, OutboxSendContext, IDisposable
    where TBus : class, IBus
    where TDbContext : DbContext
{
    readonly TBus _bus;
    readonly TDbContext _dbContext;
    readonly OutboxSignal<TDbContext> _signal;
    readonly IClientFactory _clientFactory;
    readonly IServiceProvider _provider;
    readonly ConsumeContext? _consumeContext;
    readonly TimeProvider _clock;
    readonly OutboxMetrics _metrics;
    readonly ILogger _logger;
    readonly List<OutboxMessage> _stored = [];
    EntityEntry<OutboxState>? _unitOfWork;
    IPublishEndpoint? _publishEndpoint;
    ISendEndpointProvider? _sendEndpointProvider;
    IScopedClientFactory? _scopedClientFactory;
    bool _saveFailed;

    public OutboxBusContext(TBus bus, TDbContext dbContext, OutboxSignal<TDbContext> signal, IClientFactory clientFactory,
        IServiceProvider provider, ConsumeContext? consumeContext, TimeProvider clock, OutboxMetrics metrics, ILogger logger)
    {
        _bus = bus;
        _dbContext = dbContext;
        _signal = signal;
        _clientFactory = clientFactory;
        _provider = provider;
        _consumeContext = consumeContext;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;

        // A failed SaveChanges (say, a unique violation answered with 409) rolls its messages back with it: expected, not a bug.
        _dbContext.SaveChangesFailed += OnSaveChangesFailed;
    }

    void OnSaveChangesFailed(object? sender, SaveChangesFailedEventArgs e) => _saveFailed = true;

    public ISendEndpointProvider SendEndpointProvider =>
        _sendEndpointProvider ??= new OutboxSendEndpointProvider(this, _consumeContext is null
            ? _bus
            : new ScopedConsumeSendEndpointProvider(_bus, _consumeContext, _provider));

    public IPublishEndpoint PublishEndpoint =>
        _publishEndpoint ??= new PublishEndpoint(new OutboxPublishEndpointProvider(this, _consumeContext is null
            ? _bus
            : new ScopedConsumePublishEndpointProvider(_bus, _consumeContext, _provider)));

    public IScopedClientFactory ClientFactory =>
        _scopedClientFactory ??= new ScopedClientFactory(new ClientFactory(new ScopedClientFactoryContext(_clientFactory, _provider)), _consumeContext);

    public object? GetService(Type serviceType) => _provider.GetService(serviceType);

    public Task AddSend<T>(SendContext<T> context)
        where T : class
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var message = OutboxMessageFactory.Create(context, now);

        // The DbContext is not thread-safe and a handler may publish from several tasks.
        lock (_stored)
        {
            // A new unit of work after each save, and after the caller discarded the last one (ChangeTracker.Clear()).
            if (_unitOfWork is null || Committed() || _dbContext.Entry(_unitOfWork.Entity).State == EntityState.Detached)
            {
                if (Committed())
                    _signal.Wake();
                _unitOfWork = _dbContext.Add(new OutboxState { OutboxId = NewId.NextGuid(), Created = now });
            }

            message.OutboxId = _unitOfWork.Entity.OutboxId;
            _dbContext.Add(message);
            _stored.Add(message);
        }

        return Task.CompletedTask;
    }

    /// <summary>After SaveChanges the unit of work's state row is no longer Added.</summary>
    bool Committed() => _unitOfWork?.State == EntityState.Unchanged;

    public void Dispose()
    {
        _dbContext.SaveChangesFailed -= OnSaveChangesFailed;
        if (Committed())
            _signal.Wake();

        // MassTransit's layer drops these silently. A message published after the last SaveChanges is a bug in the
        // caller; say so loudly (without the message content, which may hold personal data).
        var unsaved = _stored.Count(m => _dbContext.Entry(m).State == EntityState.Added);
        if (unsaved > 0 && !_saveFailed)
        {
            _metrics.Unsaved(unsaved);
            _logger.LogError(
                "{Count} message(s) were published or sent through the outbox of {DbContext} but never saved: call SaveChangesAsync after publishing. They were not delivered.",
                unsaved, typeof(TDbContext).Name);
        }
    }
}
