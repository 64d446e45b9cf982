using Campaign.Outbox.Delivery;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Relay;

/// <summary>Wakes the relay's workers of <typeparamref name="TDbContext"/>: set by a local commit or by a NOTIFY from any process.</summary>
public sealed class OutboxSignal<TDbContext> : WakeSignal
    where TDbContext : DbContext
{
    /// <summary>
    /// The payload of this process's NOTIFYs. Its own relay was woken in memory at the commit; the listener ignores the
    /// echo, which would otherwise wake it a second time for the same commit.
    /// </summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N");
}
