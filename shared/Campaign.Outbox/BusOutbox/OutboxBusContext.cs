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
    readonly OutboxNotifier<TDbContext> _notifier;
    readonly IClientFactory _clientFactory;
    readonly IServiceProvider _provider;
    readonly ConsumeContext? _consumeContext;
    readonly TimeProvider _clock;
    readonly OutboxMetrics _metrics;
    readonly ILogger _logger;
    readonly OutboxRelay<TDbContext>? _relay;
    readonly HashSet<Guid> _inline = []; // units of the save under way, leased to this process's relay
    long _savingAt; // when that save began (Stopwatch): the lease counts from its INSERT
    readonly List<OutboxMessage> _stored = [];
    readonly Dictionary<string, EntityEntry<OutboxState>> _units = new(StringComparer.Ordinal);
    bool _notified; // the current units of work were announced to the relays
    bool _owed; // earlier units of work were saved and not announced yet (an explicit transaction was still open)
    IPublishEndpoint? _publishEndpoint;
    ISendEndpointProvider? _sendEndpointProvider;
    IScopedClientFactory? _scopedClientFactory;
    bool _saveFailed;

    public OutboxBusContext(TBus bus, TDbContext dbContext, OutboxNotifier<TDbContext> notifier, IClientFactory clientFactory,
        IServiceProvider provider, ConsumeContext? consumeContext, TimeProvider clock, OutboxMetrics metrics, ILogger logger,
        OutboxRelay<TDbContext>? relay)
    {
        _bus = bus;
        _dbContext = dbContext;
        _notifier = notifier;
        _clientFactory = clientFactory;
        _provider = provider;
        _consumeContext = consumeContext;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        _relay = relay;

        // A failed SaveChanges (say, a unique violation answered with 409) rolls its messages back with it: expected, not a bug.
        _dbContext.SaveChangesFailed += OnSaveChangesFailed;
        _dbContext.SavedChanges += OnSavedChanges;
        if (_relay is not null)
            _dbContext.SavingChanges += OnSavingChanges;
    }

    void OnSaveChangesFailed(object? sender, SaveChangesFailedEventArgs e) => _saveFailed = true;

    // Committed when SaveChanges returns (no explicit or ambient transaction) and not ordered by key: lease the new units to
    // this process's relay, which sends them from memory after the commit. Anything else goes through the relay's claim.
    void OnSavingChanges(object? sender, SavingChangesEventArgs e)
    {
        lock (_stored)
        {
            _inline.Clear();
            _savingAt = System.Diagnostics.Stopwatch.GetTimestamp();
            var autocommit = _relay!.Ready && _dbContext.Database.CurrentTransaction is null && System.Transactions.Transaction.Current is null;
            foreach (var unit in _units.Values.Where(u => StateOf(u) == EntityState.Added))
            {
                var inline = autocommit && unit.Entity.OrderingKey is null && unit.Entity.Created == default;
                unit.Entity.LockId = inline ? _relay.InlineLease : Guid.Empty;
                if (inline)
                    _inline.Add(unit.Entity.OutboxId);
            }
        }
    }

    // Saved outside an explicit transaction is committed: hand the leased units to the relay, wake the relays for the rest
    // now, not when the scope ends.
    void OnSavedChanges(object? sender, SavedChangesEventArgs e)
    {
        if (_dbContext.Database.CurrentTransaction is not null)
            return;
        if (HandOff())
            return;
        Announce();
    }

    /// <summary>Gives the units this save leased to the relay; true when they were all of it (nobody else needs waking).</summary>
    bool HandOff()
    {
        List<(Guid, List<OutboxMessage>)> units;
        lock (_stored)
        {
            // Saved outside a transaction is committed, even when the caller keeps the entries Added (acceptAllChangesOnSuccess: false).
            if (_inline.Count == 0)
                return false;
            units = [.. _inline.Select(id => (id, _stored.Where(m => m.OutboxId == id).ToList()))];
            var all = !_owed && _units.Values.All(u => _inline.Contains(u.Entity.OutboxId));
            _inline.Clear();
            _notified |= all;
            _relay!.DeliverCommitted(units, _savingAt);
            return all;
        }
    }

    /// <summary>Wakes the relays for units of work saved and not announced yet (after the commit: inside a transaction, at its end).</summary>
    void Announce()
    {
        lock (_stored)
        {
            var current = Committed() && !_notified;
            if (!current && !_owed)
                return;
            _owed = false;
            _notified |= current;
        }
        _notifier.Committed();
    }

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
        var message = OutboxMessageFactory.Create(context, _clock.GetUtcNow().UtcDateTime);
        var key = OrderingKeyExtensions.OrderingKey(context);

        // The DbContext is not thread-safe and a handler may publish from several tasks.
        lock (_stored)
        {
            // New units of work after each save, and after the caller discarded the last ones (ChangeTracker.Clear()).
            if (_units.Values.Any(u => StateOf(u) is EntityState.Unchanged or EntityState.Detached))
            {
                _owed |= Committed() && !_notified;
                _units.Clear();
                _notified = false;
            }

            // One unit of work per ordering key (and one for messages without): a key orders units, not single messages.
            // Created is the database's clock (column default), not this host's.
            // A scheduled message is a unit of its own, due at its time (never sent from memory).
            EntityEntry<OutboxState> unit;
            if (message.EnqueueTime is { } due)
                _units[$"\0{message.MessageId}"] = unit = _dbContext.Add(OutboxState.Scheduled(due));
            else if (!_units.TryGetValue(key ?? "", out unit!))
                _units[key ?? ""] = unit = _dbContext.Add(new OutboxState { OutboxId = NewId.NextGuid(), OrderingKey = key });

            message.OutboxId = unit.Entity.OutboxId;
            _dbContext.Add(message);
            _stored.Add(message);
        }

        return Task.CompletedTask;
    }

    /// <summary>After SaveChanges the units of work's state rows are no longer Added.</summary>
    bool Committed() => _units.Count > 0 && _units.Values.All(u => StateOf(u) == EntityState.Unchanged);

    // Asked of the DbContext, not the entry: ChangeTracker.Clear() leaves an old entry saying what it was.
    EntityState StateOf(EntityEntry<OutboxState> unit) => _dbContext.Entry(unit.Entity).State;

    public void Dispose()
    {
        _dbContext.SaveChangesFailed -= OnSaveChangesFailed;
        _dbContext.SavedChanges -= OnSavedChanges;
        _dbContext.SavingChanges -= OnSavingChanges;
        Announce();

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
