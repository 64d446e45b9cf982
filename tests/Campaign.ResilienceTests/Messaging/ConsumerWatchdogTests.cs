using System.Text;
using Campaign.ServiceDefaults;
using Campaign.SystemTesting;
using Campaign.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Campaign.ResilienceTests.Messaging;

/// <summary>
/// The consumer watchdog against the real broker, with queues of its own: a queue that holds messages with no consumer is
/// given up on once the stall limit has passed on the watchdog's clock; a consumed queue and an empty one are not; giving
/// up makes the service unhealthy and stops it with exit code 1.
/// </summary>
public sealed class ConsumerWatchdogTests : IAsyncLifetime, IDisposable
{
    static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(60);

    readonly SteppedClock _clock = new();
    readonly RecordingLifetime _lifetime = new();
    readonly List<string> _queues = [];
    IConnection _connection = null!;
    IChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _connection = await new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) }.CreateConnectionAsync();
        _channel = await _connection.CreateChannelAsync();
    }

    public async Task DisposeAsync()
    {
        await using var cleanup = await _connection.CreateChannelAsync();
        foreach (var queue in _queues)
            await cleanup.QueueDeleteAsync(queue);
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    public void Dispose() => _lifetime.Dispose();

    [Fact]
    public async Task A_queue_holding_messages_with_no_consumer_is_reported_once_the_stall_limit_has_passed()
    {
        var stalled = await QueueAsync(messages: 1);
        using var watchdog = Watchdog();
        watchdog.Watch(stalled);

        Assert.Null(await watchdog.CheckAsync(default)); // the clock starts
        _clock.Advance(StallLimit - TimeSpan.FromSeconds(1));
        Assert.Null(await watchdog.CheckAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(stalled, await watchdog.CheckAsync(default));
    }

    [Fact]
    public async Task A_consumed_queue_and_an_empty_one_are_not_reported_until_the_consumer_goes()
    {
        var consumed = await QueueAsync(messages: 3);
        var empty = await QueueAsync(messages: 0);
        using var watchdog = Watchdog();
        watchdog.Watch(consumed);
        watchdog.Watch(empty);

        // A consumer that holds one unacknowledged message: two more stay ready in the queue, as under load.
        await using var consumerChannel = await _connection.CreateChannelAsync();
        await consumerChannel.BasicQosAsync(0, 1, false);
        var consumerTag = await consumerChannel.BasicConsumeAsync(consumed, autoAck: false, new AsyncEventingBasicConsumer(consumerChannel));
        await Eventually.Until(async () => (await _channel.QueueDeclarePassiveAsync(consumed)).ConsumerCount == 1, "the consumer is registered");

        Assert.Null(await watchdog.CheckAsync(default));
        _clock.Advance(StallLimit * 2);
        Assert.Null(await watchdog.CheckAsync(default));

        // The consumer goes (its channel closes, its message is back in the queue): from now on the queue waits unconsumed.
        await consumerChannel.BasicCancelAsync(consumerTag);
        await consumerChannel.CloseAsync();
        Assert.Null(await watchdog.CheckAsync(default));
        _clock.Advance(StallLimit);

        Assert.Equal(consumed, await watchdog.CheckAsync(default));
    }

    [Fact]
    public async Task Giving_up_on_a_queue_makes_the_service_unhealthy_and_stops_it_with_exit_code_1()
    {
        var stalled = await QueueAsync(messages: 1);
        using var lifetime = new RecordingLifetime();
        using var watchdog = Watchdog(new ConsumerWatchdogOptions { CheckInterval = TimeSpan.FromMilliseconds(50), StallLimit = TimeSpan.Zero },
            TimeProvider.System, lifetime);
        watchdog.Watch(stalled);
        Assert.Equal(HealthStatus.Healthy, (await watchdog.CheckHealthAsync(new HealthCheckContext())).Status);

        try
        {
            await watchdog.StartAsync(default);
            await lifetime.Stopped.WaitAsync(TimeSpan.FromSeconds(30));

            var health = await watchdog.CheckHealthAsync(new HealthCheckContext());
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            Assert.Contains(stalled, health.Description, StringComparison.Ordinal);
            Assert.Equal(1, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = 0; // this test host's own exit code
            await watchdog.StopAsync(default);
        }
    }

    async Task<string> QueueAsync(int messages)
    {
        var queue = $"watchdog-test-{Guid.NewGuid():N}";
        await _channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        _queues.Add(queue);
        for (var i = 0; i < messages; i++)
            await _channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes($"message {i}"));
        await Eventually.Until(async () => (await _channel.QueueDeclarePassiveAsync(queue)).MessageCount == messages, "the messages are in the queue");
        return queue;
    }

    ConsumerWatchdog Watchdog(ConsumerWatchdogOptions? options = null, TimeProvider? clock = null, IHostApplicationLifetime? lifetime = null) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq }).Build(),
        Options.Create(options ?? new ConsumerWatchdogOptions { StallLimit = StallLimit }),
        clock ?? _clock,
        lifetime ?? _lifetime,
        NullLogger<ConsumerWatchdog>.Instance);

    /// <summary>A clock that moves only when told: the stall limit passes without waiting for it.</summary>
    sealed class SteppedClock : TimeProvider
    {
        DateTimeOffset _now = new(2031, 6, 15, 12, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }

    /// <summary>The host's lifetime as far as the watchdog uses it: records that the service was told to stop.</summary>
    /// <remarks>It stops at once: the watchdog's last resort for a stop that hangs (killing the process) is not reached.</remarks>
    sealed class RecordingLifetime : IHostApplicationLifetime, IDisposable
    {
        readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly CancellationTokenSource _stoppedToken = new();

        public Task Stopped => _stopped.Task;

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stoppedToken.Token;

        public CancellationToken ApplicationStopped => _stoppedToken.Token;

        public void StopApplication()
        {
            _stoppedToken.Cancel();
            _stopped.TrySetResult();
        }

        public void Dispose() => _stoppedToken.Dispose();
    }
}
