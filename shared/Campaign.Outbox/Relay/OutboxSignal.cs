using Campaign.Outbox.Delivery;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Relay;

/// <summary>Wakes the relay's workers of <typeparamref name="TDbContext"/>: set by a local commit or by a NOTIFY from any process.</summary>
public sealed class OutboxSignal<TDbContext> : WakeSignal
    where TDbContext : DbContext;
