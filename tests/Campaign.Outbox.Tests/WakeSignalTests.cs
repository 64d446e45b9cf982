using Campaign.Outbox.Delivery;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Campaign.Outbox.Tests;

/// <summary>A wake goes to one worker, is kept (once) when none waits, and is dropped by a look that covers it.</summary>
public sealed class WakeSignalTests
{
    readonly FakeTimeProvider _clock = new();
    readonly WakeSignal _signal = new();

    [Fact]
    public async Task A_wake_wakes_one_of_two_waiting_workers()
    {
        var first = _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None);
        var second = _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None);

        _signal.Wake();
        var woken = await Task.WhenAny(first, second);

        Assert.True(await woken);
        var other = woken == first ? second : first;
        Assert.False(other.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await other); // its poll, not a wake
    }

    [Fact]
    public async Task Wakes_with_nobody_waiting_are_kept_as_one()
    {
        _signal.Wake();
        _signal.Wake();
        _signal.Wake();

        Assert.True(await _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None));
        var next = _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None);
        Assert.False(next.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await next);
    }

    [Fact]
    public async Task A_look_for_work_consumes_the_wake_kept_for_it()
    {
        _signal.Wake();
        _signal.Consume();

        var next = _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None);
        Assert.False(next.IsCompleted);
        _signal.Wake();
        Assert.True(await next);
    }

    [Fact]
    public async Task A_worker_whose_wait_timed_out_does_not_swallow_the_next_wake()
    {
        var timedOut = _signal.WaitAsync(TimeSpan.FromSeconds(1), _clock, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await timedOut);

        var waiting = _signal.WaitAsync(TimeSpan.FromSeconds(10), _clock, CancellationToken.None);
        _signal.Wake();
        Assert.True(await waiting);
    }

    [Fact]
    public async Task Stopping_ends_the_wait_without_an_exception()
    {
        using var stopping = new CancellationTokenSource();
        var waiting = _signal.WaitAsync(TimeSpan.FromMinutes(5), _clock, stopping.Token);
        await stopping.CancelAsync();
        Assert.False(await waiting);
    }
}
