namespace Campaign.Outbox.Delivery;

/// <summary>
/// Wakes a background worker when there is new work (a local commit, a NOTIFY from another process). The worker takes
/// <see cref="Next"/> before a pass, so a wake that arrives during the pass is not lost. Shared by the outbox relay and
/// every other "deliver what was committed" worker (Communications' mail sender).
/// </summary>
public class WakeSignal
{
    TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Wake() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for the next wake or the timeout, whichever comes first; never throws for either.</summary>
    public static Task WaitAsync(Task wake, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken) =>
        timeout <= TimeSpan.Zero
            ? Task.CompletedTask
            : wake.WaitAsync(timeout, clock, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
}
