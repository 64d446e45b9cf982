namespace CampaignFinance.Data;

public static class TimestampPrecision
{
    /// <summary>
    /// PostgreSQL keeps microseconds: a timestamp cut to them reads back as it was answered (the 201 and a later GET agree).
    /// </summary>
    public static DateTimeOffset ToMicroseconds(this DateTimeOffset value) =>
        value.AddTicks(-(value.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
}
