using System.Globalization;

namespace Campaign.Outbox.Bench;

/// <summary>Median with min–max over the repetitions of one configuration.</summary>
sealed record Summary(double Median, double Min, double Max, int Count)
{
    public static Summary Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
            return new Summary(double.NaN, double.NaN, double.NaN, 0);
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Summary(median, sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>"4,013 (3,900–4,100)"; the range is left out when there is one value.</summary>
    public string Format(string format = "N0", string unit = "")
    {
        if (Count == 0)
            return "—";
        var median = Median.ToString(format, CultureInfo.InvariantCulture) + unit;
        return Count == 1 || Min == Max
            ? median
            : $"{median} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})";
    }
}

static class Percentiles
{
    /// <summary>Nearest-rank percentile of an ascending array.</summary>
    public static double Of(double[] sorted, double percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>One configuration run: its figures, where the CPU went, and details (the relay child's stats).</summary>
sealed record Measurement(string Scenario, string Config, int Rep, Dictionary<string, double> Values,
    Dictionary<string, Dictionary<string, double>> Cpu, RelayRunStats? Relay = null);
