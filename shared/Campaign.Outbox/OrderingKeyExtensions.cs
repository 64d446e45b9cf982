using MassTransit;

namespace Campaign.Outbox;

/// <summary>
/// Ordering keys: units of work that carry the same key (for example a donor's id) are delivered in the order they committed,
/// by any number of relays; units with other keys, or none, go concurrently.
/// </summary>
public static class OrderingKeyExtensions
{
    /// <summary>The header that carries the key; it travels with the message, so a consumer can see it too.</summary>
    public const string HeaderName = "Campaign-Ordering-Key";

    /// <summary>Longest key stored; a longer one is refused when published.</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// Delivers this message in commit order with every other message of the same key:
    /// <c>await publish.Publish(donorSecured, c => c.SetOrderingKey(donor.Id.ToString()))</c>.
    /// A transport partition key (<c>SetPartitionKey</c>) is used when no ordering key is set.
    /// </summary>
    public static void SetOrderingKey(this SendContext context, string key)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > MaxLength)
            throw new ArgumentException($"An ordering key has at most {MaxLength} characters.", nameof(key));
        context.Headers.Set(HeaderName, key);
    }

    internal static string? OrderingKey(SendContext context)
    {
        var key = context.Headers.Get<string>(HeaderName);
        if (string.IsNullOrEmpty(key) && context.TryGetPayload(out PartitionKeySendContext? partition))
            key = partition.PartitionKey;
        return string.IsNullOrEmpty(key) ? null : key.Length <= MaxLength ? key : key[..MaxLength];
    }
}
