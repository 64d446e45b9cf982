namespace Communications.Sending;

/// <summary>
/// Wakes the sender when a message was committed in this process. The sender takes <see cref="Next"/> before a pass,
/// so a wake that arrives during the pass is not lost.
/// </summary>
public sealed class OutboundMailSignal
{
    TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Wake() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
