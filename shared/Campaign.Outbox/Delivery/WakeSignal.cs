namespace Campaign.Outbox.Delivery;

/// <summary>
/// Wakes a background worker when there is new work (a local commit, a NOTIFY from another process). Each wake goes to
/// one waiting worker, not to all of them: at moderate rates a commit is one pass's work, and waking every worker ran one
/// useful pass and empty ones beside it. A wake with no worker waiting is kept (one, however many arrive) until a worker
/// waits or <see cref="Consume"/> says the work it announced is being looked at. Shared by the outbox relay and every
/// other "deliver what was committed" worker (Communications' mail sender).
/// </summary>
public class WakeSignal
{
    readonly List<TaskCompletionSource<bool>> _waiting = [];
    bool _pending;

    /// <summary>Wakes one waiting worker, or keeps the wake for the next one that waits.</summary>
    public void Wake()
    {
        lock (_waiting)
        {
            // A waiter whose timeout fired a moment ago is already completed: the wake goes to the next one.
            while (_waiting.Count > 0)
            {
                var waiter = _waiting[0];
                _waiting.RemoveAt(0);
                if (waiter.TrySetResult(true))
                    return;
            }
            _pending = true;
        }
    }

    /// <summary>
    /// Drops a kept wake: call right before looking for work. Every wake is raised after its commit, so the look about to
    /// start sees what a kept wake announced, and no empty pass follows for it.
    /// </summary>
    public void Consume()
    {
        lock (_waiting)
            _pending = false;
    }

    /// <summary>Waits for a wake (true) or the timeout (false), whichever comes first; never throws for either, nor when cancelled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        TaskCompletionSource<bool> waiter;
        lock (_waiting)
        {
            if (_pending)
            {
                _pending = false;
                return true;
            }
            if (timeout <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
                return false;
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add(waiter);
        }

        await using var timer = clock.CreateTimer(static w => ((TaskCompletionSource<bool>)w!).TrySetResult(false), waiter,
            timeout, Timeout.InfiniteTimeSpan);
        await using var cancelled = cancellationToken.Register(static w => ((TaskCompletionSource<bool>)w!).TrySetResult(false), waiter);
        var woken = await waiter.Task;
        if (!woken)
        {
            lock (_waiting)
                _waiting.Remove(waiter);
        }
        return woken;
    }
}
