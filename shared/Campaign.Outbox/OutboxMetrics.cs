using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit.Metadata;
using MassTransit.Monitoring;

namespace Campaign.Outbox;

/// <summary>
/// The outbox's OpenTelemetry instruments, on the meter <see cref="MeterName"/>. The backlog gauges read the
/// figures the relay refreshes in the background, so a scrape never queries the database.
/// </summary>
public sealed class OutboxMetrics
{
    public const string MeterName = "Campaign.Outbox";

    readonly Counter<long> _delivered;
    readonly Counter<long> _failures;
    readonly Counter<long> _unsaved;
    readonly Counter<long> _roundTrips;
    readonly Histogram<double> _lag;
    readonly Counter<long> _massTransitDelivery;
    readonly Counter<long> _massTransitDeliveryErrors;
    readonly Dictionary<string, OutboxBacklog> _backlogs = [];
    readonly Dictionary<string, DeliveryLagHistory> _lagHistories = [];
    readonly TimeProvider _clock;

    public OutboxMetrics(IMeterFactory meterFactory, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _clock = clock;
        var meter = meterFactory.Create(MeterName);
        _delivered = meter.CreateCounter<long>("campaign.outbox.delivered", "{message}", "Messages the broker confirmed");
        _failures = meter.CreateCounter<long>("campaign.outbox.delivery_failures", "{message}", "Failed sends, by reason (message or broker)");
        _roundTrips = meter.CreateCounter<long>("campaign.outbox.relay_round_trips", "{round_trip}",
            "Database round trips of the relay, by kind: claim (carrying the last pass's record when passes follow each other), or record alone");
        _unsaved = meter.CreateCounter<long>("campaign.outbox.unsaved", "{message}", "Messages published into the outbox but never saved");
        _lag = meter.CreateHistogram<double>("campaign.outbox.delivery_lag", "ms", "From the unit of work's commit to the broker's confirm",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000] });
        // MassTransit's own outbox delivery counters, with its meter, names and labels: dashboards and alerts written for its
        // EF outbox read these (MassTransit counts them in its delivery service, which this outbox replaces).
        var massTransit = meterFactory.Create(InstrumentationOptions.MeterName);
        _massTransitDelivery = massTransit.CreateCounter<long>("messaging.masstransit.outbox.delivery", "ea", "Number of outbox messages delivered");
        _massTransitDeliveryErrors = massTransit.CreateCounter<long>("messaging.masstransit.outbox.delivery.errors", "ea",
            "Number of outbox message delivery faults");
        meter.CreateObservableGauge("campaign.outbox.pending", () => Observe(b => b.Pending), "{message}", "Messages waiting for the relay");
        meter.CreateObservableGauge("campaign.outbox.oldest_pending_age", () => Observe(b => b.OldestAge.TotalSeconds), "s",
            "Age of the oldest waiting unit of work");
        meter.CreateObservableGauge("campaign.outbox.scheduled", () => Observe(b => b.Scheduled), "{message}",
            "Messages scheduled for later, waiting in the outbox until due");
        meter.CreateObservableGauge("campaign.outbox.parked", () => Observe(b => b.Parked), "{outbox}", "Units of work parked after repeated failures");
    }

    internal void Delivered(string dbContext, int count) => _delivered.Add(count, new KeyValuePair<string, object?>("db.context", dbContext));

    internal void Lag(string dbContext, TimeSpan lag)
    {
        _lag.Record(lag.TotalMilliseconds, new KeyValuePair<string, object?>("db.context", dbContext));
        LagHistory(dbContext).Record(lag);
    }

    /// <summary>The last hour of delivery lag of the outbox in <paramref name="dbContext"/> (the DbContext's type name), in this process.</summary>
    public DeliveryLagHistory LagHistory(string dbContext)
    {
        lock (_lagHistories)
        {
            if (!_lagHistories.TryGetValue(dbContext, out var history))
                _lagHistories[dbContext] = history = new DeliveryLagHistory(_clock);
            return history;
        }
    }

    /// <summary>The last backlog figures the relay measured for <paramref name="dbContext"/>, or null before the first.</summary>
    public OutboxBacklog? Backlog(string dbContext)
    {
        lock (_backlogs)
            return _backlogs.GetValueOrDefault(dbContext);
    }

    internal void Failed(string dbContext, string reason) =>
        _failures.Add(1, new KeyValuePair<string, object?>("db.context", dbContext), new KeyValuePair<string, object?>("reason", reason));

    internal void RoundTrip(string dbContext, string kind) =>
        _roundTrips.Add(1, new KeyValuePair<string, object?>("db.context", dbContext), new KeyValuePair<string, object?>("kind", kind));

    internal void Unsaved(int count) => _unsaved.Add(count);

    /// <summary>A delivery attempt, counted as MassTransit counts its outbox's (a fault also counts as an error).</summary>
    internal void MassTransitDelivery(Uri? destination, Exception? fault = null)
    {
        // Per message on the relay's path: build no tags when nobody listens.
        if (!(fault is null ? _massTransitDelivery : _massTransitDeliveryErrors).Enabled)
            return;
        var tags = new TagList
        {
            { "messaging.masstransit.service", HostMetadataCache.Host.ProcessName },
            { "messaging.masstransit.destination", destination?.AbsolutePath.Split('/').LastOrDefault()?.Replace('.', '_') },
        };
        if (fault is null)
        {
            _massTransitDelivery.Add(1, tags);
            return;
        }
        tags.Add("messaging.masstransit.exception_type", fault.GetType().Name);
        _massTransitDeliveryErrors.Add(1, tags);
    }

    internal void Report(string dbContext, OutboxBacklog backlog)
    {
        lock (_backlogs)
            _backlogs[dbContext] = backlog;
    }

    IEnumerable<Measurement<T>> Observe<T>(Func<OutboxBacklog, T> value)
        where T : struct
    {
        lock (_backlogs)
            return [.. _backlogs.Select(b => new Measurement<T>(value(b.Value), new KeyValuePair<string, object?>("db.context", b.Key)))];
    }
}

/// <summary>A snapshot of what waits in one outbox.</summary>
public sealed record OutboxBacklog(long Pending, TimeSpan OldestAge, long Parked, DateTimeOffset MeasuredAt)
{
    /// <summary>Messages scheduled for later (delayed publishes, sagas' deadlines): not pending until they fall due.</summary>
    public long Scheduled { get; init; }
}
