namespace Campaign.Outbox;

/// <summary>One minute of deliveries: how many, and their lag from commit to the broker's confirm.</summary>
public sealed record DeliveryLagMinute(DateTimeOffset Minute, long Delivered, double MeanMilliseconds, double MaxMilliseconds);

/// <summary>
/// The last hour of one outbox's delivery lag, a minute per bucket, kept in memory by this process: what the operator page
/// draws without a metrics backend. It starts empty with the process, and each instance of a service keeps its own (the
/// <c>campaign.outbox.delivery_lag</c> histogram is the durable, summed view for a metrics backend).
/// </summary>
public sealed class DeliveryLagHistory(TimeProvider clock)
{
    const int Minutes = 60;
    readonly Bucket[] _buckets = new Bucket[Minutes];
    readonly Lock _lock = new();

    internal void Record(TimeSpan lag)
    {
        var minute = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        lock (_lock)
        {
            ref var bucket = ref _buckets[minute % Minutes];
            if (bucket.Minute != minute)
                bucket = new Bucket { Minute = minute };
            bucket.Count++;
            bucket.SumMilliseconds += lag.TotalMilliseconds;
            bucket.MaxMilliseconds = Math.Max(bucket.MaxMilliseconds, lag.TotalMilliseconds);
        }
    }

    /// <summary>The last 60 minutes, oldest first, the current minute last; minutes without deliveries have zero counts.</summary>
    public IReadOnlyList<DeliveryLagMinute> LastHour()
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        var minutes = new List<DeliveryLagMinute>(Minutes);
        lock (_lock)
        {
            for (var minute = now - Minutes + 1; minute <= now; minute++)
            {
                var bucket = _buckets[minute % Minutes];
                var start = DateTimeOffset.FromUnixTimeSeconds(minute * 60);
                minutes.Add(bucket.Minute == minute && bucket.Count > 0
                    ? new DeliveryLagMinute(start, bucket.Count, bucket.SumMilliseconds / bucket.Count, bucket.MaxMilliseconds)
                    : new DeliveryLagMinute(start, 0, 0, 0));
            }
        }
        return minutes;
    }

    struct Bucket
    {
        public long Minute;
        public long Count;
        public double SumMilliseconds;
        public double MaxMilliseconds;
    }
}
