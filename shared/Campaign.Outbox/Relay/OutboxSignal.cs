using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Wakes the relay's workers: set by a local commit (in-process) or by a NOTIFY from any process.
/// A worker takes <see cref="Next"/> before a pass, so a wake that arrives during the pass is not lost.
/// </summary>
public sealed class OutboxSignal<TDbContext>
    where TDbContext : DbContext
{
    TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Wake() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
