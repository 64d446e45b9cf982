using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Campaign.Outbox.Configuration;
using Campaign.Outbox.Delivery;
using MassTransit;
using MassTransit.Logging;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Delivers committed bus-outbox messages to the broker. Each pass leases many units of work at once (<see cref="OutboxStore{TDbContext}"/>),
/// sends them concurrently with publisher confirms (in order within a unit of work), then records what the broker confirmed.
/// Wakes on commit (in-process signal, and NOTIFY for every other instance, <see cref="OutboxListener{TDbContext}"/>); polls as
/// a fallback. A commit wakes one worker; while its passes run, further commits make them look once more rather than start
/// passes of their own; only a backlog (a full pass) brings the other workers in (<see cref="RelayPasses"/>).
/// </summary>
public sealed partial class OutboxRelay<TDbContext>(
    IBusControl bus,
    OutboxStore<TDbContext> store,
    OutboxSignal<TDbContext> signal,
    EntityFrameworkOutboxOptions<TDbContext> options,
    OutboxMetrics metrics,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<OutboxRelay<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    static readonly string ContextName = typeof(TDbContext).Name;
    readonly BrokerRefusals _refusals = new();
    readonly RelayPasses _passes = new();
    readonly HarnessPublishes? _harness = HarnessPublishes.For(services, bus);
    bool _ready;
    bool _stopping;
    long _retryDue = long.MaxValue; // when the earliest unit this relay saw fail is due again (Stopwatch timestamp)
    ConnectHandle? _refusalObserver;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.DeliveryConcurrency).Select(_ => Task.Run(() => DeliverAsync(stoppingToken), CancellationToken.None)));

    async Task DeliverAsync(CancellationToken stoppingToken)
    {
        var troubleDelay = TimeSpan.Zero;

        // The bus starts after the hosted services: waiting for it the first time is not worth a warning.
        try
        {
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Volatile.Write(ref _ready, true);
        var wait = TimeSpan.Zero; // a first look at once: work may have waited for this relay to start
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await signal.WaitAsync(wait, clock, stoppingToken);
                wait = options.QueryDelay;
                if (stoppingToken.IsCancellationRequested)
                    return;

                if (bus.CheckHealth().Status != BusHealthStatus.Healthy)
                {
                    Volatile.Write(ref _ready, false);
                    LogPaused(logger, ContextName);
                    await bus.WaitForHealthStatus(BusHealthStatus.Healthy, stoppingToken);
                    LogResumed(logger, ContextName);
                }

                // Another worker's passes are running and will look again when they end: this wake is theirs.
                if (!_passes.TryBegin())
                    continue;

                var pass = await RunPassesAsync(stoppingToken);
                Volatile.Write(ref _ready, !pass.BrokerTrouble);
                if (pass.BrokerTrouble)
                {
                    // Not the messages' fault: wait for the broker, count no attempts.
                    troubleDelay = Backoff.Next(troubleDelay);
                    wait = TimeSpan.Zero;
                    await Task.Delay(troubleDelay, clock, stoppingToken);
                    continue;
                }
                troubleDelay = TimeSpan.Zero;

                // Nothing known to do: sleep until a commit, a unit that is backing off falls due, or the poll.
                if (pass.NextDueIn is { } due && due < wait)
                    wait = due;
                if (UntilRetry() is { } untilRetry && untilRetry < wait)
                    wait = untilRetry;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the host failed to start or is gone: nothing left to relay for
            }
            catch (Exception exception)
            {
                troubleDelay = Backoff.Next(troubleDelay);
                wait = TimeSpan.Zero;
                LogPassFailed(logger, exception, ContextName, troubleDelay.TotalSeconds);
                await Task.Delay(troubleDelay, clock, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Passes back to back while there is work this relay knows of: a full pass (and then another worker joins), a delivered
    /// keyed unit (the next of its key may go), work the pass's budget left behind (a unit's further messages, or units that
    /// did not fit), a unit whose back-off ran out, or a wake that came while a pass ran (all such
    /// wakes make one more pass, not one each). The record of a pass followed by another rides with that pass's claim.
    /// Returns the last pass.
    /// </summary>
    async Task<RelayPass> RunPassesAsync(CancellationToken stoppingToken)
    {
        OutboxRecord? pending = null;
        var holding = true;
        try
        {
            while (true)
            {
                // Every wake is raised after its commit: what was announced until now, this claim sees.
                signal.Consume();
                var (pass, record) = await PassAsync(pending, stoppingToken);
                pending = null;

                var full = pass.Claimed >= options.QueryMessageLimit;
                _passes.Backlog(full);
                if (full)
                    signal.Wake(); // a backlog: one more worker

                if (!pass.BrokerTrouble && (full || pass.Unblocked || pass.LeftDue || RetryIsDue() || _passes.TakeRecheck()))
                {
                    pending = record;
                    continue;
                }

                if (record is not null)
                    await store.RecordAsync(record);
                // A wake that came while recording makes one more pass; after broker trouble the caller's back-off decides.
                if (pass.BrokerTrouble)
                    _passes.End();
                else if (!_passes.TryEnd())
                    continue;
                holding = false;
                return pass;
            }
        }
        catch when (pending is not null)
        {
            // The claim that carried it failed: book what the broker confirmed on its own, if the database lets us.
            await store.RecordAsync(pending).ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }
        finally
        {
            if (holding)
                _passes.End();
        }
    }

    /// <summary>Workers are running and the last pass met no broker trouble: a commit's units may be sent from memory.</summary>
    internal bool Ready => Volatile.Read(ref _ready) && !Volatile.Read(ref _stopping);

    /// <summary>One claim-send-record pass; returns what it did. Public so tests and tools can drive the relay step by step.</summary>
    public async Task<RelayPass> RunPassAsync(CancellationToken cancellationToken = default)
    {
        var (pass, record) = await PassAsync(null, cancellationToken);
        if (record is not null)
            await store.RecordAsync(record);
        return pass;
    }

    /// <summary>Claims (carrying the previous pass's record, if any) and sends; returns what is left to record.</summary>
    async Task<(RelayPass Pass, OutboxRecord? Record)> PassAsync(OutboxRecord? previous, CancellationToken cancellationToken)
    {
        // Connected once, by whichever worker (or test) runs the first pass.
        lock (_refusals)
            _refusalObserver ??= bus.ConnectSendObserver(_refusals);
        var lockId = NewId.NextGuid();
        var claim = await store.ClaimAsync(lockId, previous, cancellationToken);
        if (claim.Units.Count == 0)
            return (new RelayPass(0, 0, false, claim.NextDueIn, false), null);

        // Sends are not cancelled by shutdown (a pass in flight finishes and records what the broker confirmed), but they
        // stop well inside the lease: after it, another relay may take the units.
        using (var lease = new CancellationTokenSource(options.LeaseDuration * 0.75, clock))
            await Task.WhenAll(claim.Units.Select(unit => SendAsync(unit, lease.Token)));

        var faults = BookFaults(claim.Units);

        var delivered = claim.Units.Sum(u => u.Sent.Count);
        if (delivered > 0)
            metrics.Delivered(ContextName, delivered);
        var unblocked = claim.Units.Any(u => u is { Failure: null, OrderingKey: not null });
        var loaded = claim.Units.Sum(u => u.Messages.Count);
        var leftDue = claim.Units.Any(u => u is { Failure: null, HasMore: true }) || loaded >= options.MaxMessagesPerPass
            || claim.Units.Sum(u => u.Messages.Sum(m => (long)m.Body.Length)) >= options.MaxBytesPerPass;
        var pass = new RelayPass(claim.Units.Count, delivered, claim.Units.Any(u => u.BrokerTrouble), claim.NextDueIn, unblocked, leftDue);
        return (pass, new OutboxRecord(lockId, claim.Units, faults));
    }

    /// <summary>The message faults of a pass (not broker trouble): each unit's back-off, or parking after its last attempt.</summary>
    List<(ClaimedOutbox, TimeSpan, bool)> BookFaults(IEnumerable<ClaimedOutbox> units)
    {
        var faults = new List<(ClaimedOutbox, TimeSpan, bool)>();
        foreach (var unit in units.Where(u => u is { Failure: not null, BrokerTrouble: false }))
        {
            var attempts = unit.DeliveryAttempts + 1;
            var park = attempts >= options.MaxDeliveryAttempts;
            var retryIn = Backoff.After(attempts, options.RetryDelay, options.MaxRetryDelay);
            faults.Add((unit, retryIn, park));
            if (park)
                LogParked(logger, ContextName, unit.OutboxId, attempts, unit.Failure!.GetType().Name);
            else
            {
                LogAttemptFailed(logger, unit.Failure, ContextName, unit.OutboxId, attempts);
                RetryAt(Stopwatch.GetTimestamp() + (long)(retryIn.TotalSeconds * Stopwatch.Frequency));
            }
        }
        return faults;
    }

    /// <summary>A unit that failed here is due again (its back-off ran out); takes the reminder.</summary>
    bool RetryIsDue()
    {
        var retryDue = Interlocked.Read(ref _retryDue);
        return retryDue != long.MaxValue && Stopwatch.GetTimestamp() >= retryDue
            && Interlocked.CompareExchange(ref _retryDue, long.MaxValue, retryDue) == retryDue;
    }

    /// <summary>How long until the earliest unit that failed here is due again; null when none is backing off.</summary>
    TimeSpan? UntilRetry()
    {
        var retryDue = Interlocked.Read(ref _retryDue);
        return retryDue == long.MaxValue ? null : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), retryDue);
    }

    void RetryAt(long due)
    {
        for (var current = Interlocked.Read(ref _retryDue); due < current; current = Interlocked.Read(ref _retryDue))
        {
            if (Interlocked.CompareExchange(ref _retryDue, due, current) == current)
                return;
        }
    }

    async Task SendAsync(ClaimedOutbox unit, CancellationToken lease)
    {
        foreach (var message in unit.Messages)
        {
            try
            {
                message.Deserialize(SystemTextJsonMessageSerializer.Instance);

                // A body that cannot be read is the message's fault: find out before the transport is involved,
                // so it is counted against its outbox and not mistaken for a slow broker.
                if (Encoding.UTF8.GetByteCount(message.Body) is var size && size > options.MaxMessageSize)
                {
                    throw new MessageRefusedException(
                        $"The message body is {size:N0} bytes, more than the broker accepts (MaxMessageSize {options.MaxMessageSize:N0}).");
                }
                if (message.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase))
                    ValidateJson(message.Body, size);

                var destination = message.DestinationAddress
                    ?? throw new InvalidOperationException("The stored message has no valid destination address.");
                var endpoint = await bus.GetSendEndpoint(destination);

                // A span per delivery, parented by the trace context stored with the message: it joins the producer's trace.
                // MassTransit's own outbox delivery counters (messaging.masstransit.outbox.delivery, .errors) count it too.
                var activity = LogContext.Current?.StartOutboxDeliverActivity(message);
                metrics.MassTransitDelivery(destination);
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lease);
                    timeout.CancelAfter(options.MessageDeliveryTimeout);
                    using var refusal = _refusals.For(message.MessageId);
                    var send = endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, destination), timeout.Token);
                    if (await Task.WhenAny(send, refusal.Refused) != send)
                    {
                        // MassTransit would retry it on a new channel until the timeout: stop it, and say what the broker said.
                        await timeout.CancelAsync();
                        _ = send.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                        var reason = await refusal.Refused;
                        throw new MessageRefusedException(
                            $"The broker refused the message (AMQP {BrokerRefusals.RefusalCode(reason)}): {reason.Message}", reason);
                    }
                    await send;
                }
                catch (Exception exception)
                {
                    activity?.AddExceptionEvent(exception);
                    metrics.MassTransitDelivery(destination, exception);
                    throw;
                }
                finally
                {
                    activity?.Stop();
                }

                unit.Sent.Add(message.SequenceNumber);
                _harness?.Delivered(message);
                metrics.Lag(ContextName, unit.Age);
            }
            catch (Exception exception)
            {
                unit.Failure = exception;
                unit.BrokerTrouble = exception is not MessageRefusedException
                    && (DeliveryFailure.IsBrokerTrouble(exception) || bus.CheckHealth().Status != BusHealthStatus.Healthy);
                metrics.Failed(ContextName, unit.BrokerTrouble ? "broker" : "message");
                return; // order within a unit of work: nothing after a failed message is sent
            }
        }
    }

    /// <summary>Throws <see cref="JsonException"/> for a body that is not JSON; reads it once, into a pooled buffer, keeping nothing.</summary>
    static void ValidateJson(string body, int size)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, Encoding.UTF8.GetBytes(body, buffer)));
            while (reader.Read())
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await DrainInlineAsync(cancellationToken);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _refusalObserver?.Disconnect();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Outbox relay for {DbContext} paused: the bus is not healthy (broker down?). It resumes by itself.")]
    static partial void LogPaused(ILogger logger, string dbContext);

    [LoggerMessage(LogLevel.Information, "Outbox relay for {DbContext} resumed: the bus is healthy.")]
    static partial void LogResumed(ILogger logger, string dbContext);

    [LoggerMessage(LogLevel.Warning, "Outbox relay pass for {DbContext} failed; next try in {DelaySeconds:0.0} s.")]
    static partial void LogPassFailed(ILogger logger, Exception exception, string dbContext, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Outbox {OutboxId} of {DbContext} failed delivery attempt {Attempts}; it will be retried after a back-off.")]
    static partial void LogAttemptFailed(ILogger logger, Exception? exception, string dbContext, Guid outboxId, int attempts);

    [LoggerMessage(LogLevel.Error, "Outbox {OutboxId} of {DbContext} parked after {Attempts} failed attempts ({ErrorType}). Other outboxes keep flowing; release it once fixed.")]
    static partial void LogParked(ILogger logger, string dbContext, Guid outboxId, int attempts, string errorType);
}

/// <summary>What one relay pass did.</summary>
/// <param name="Claimed">Units of work claimed.</param>
/// <param name="Delivered">Messages the broker confirmed.</param>
/// <param name="BrokerTrouble">A send failed because of the broker, not the message.</param>
/// <param name="NextDueIn">When a unit of work not due now (backing off, or leased by a relay that may have died) falls due.</param>
/// <param name="Unblocked">A unit of work with an ordering key was delivered: the next one of that key may go now.</param>
/// <param name="LeftDue">The pass's budget left due work behind: a unit's further messages, or units that did not fit.</param>
public sealed record RelayPass(int Claimed, int Delivered, bool BrokerTrouble, TimeSpan? NextDueIn, bool Unblocked, bool LeftDue = false);
