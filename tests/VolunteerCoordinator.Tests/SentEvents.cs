using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using MassTransit.Testing;

namespace VolunteerCoordinator.Tests;

/// <summary>
/// The events of a type the app put on the in-memory bus, whichever way they left. What the outbox's relay published is
/// listed as Published&lt;T&gt;, as a direct publish is; what an outbox sent to a queue reaches the harness only as
/// Sent&lt;SerializedMessageBody&gt; (the stored envelope re-sent), so this also reads those envelopes.
/// </summary>
public static class SentEvents
{
    public static IReadOnlyList<(Guid? MessageId, T Message)> Of<T>(ITestHarness harness)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(harness);
        var urn = MessageUrn.ForTypeString<T>();
        var events = new List<(Guid?, T)>();
        foreach (var sent in harness.Sent.Select(_ => true))
        {
            if (sent.Context is SendContext<T> typed)
                events.Add((typed.MessageId, typed.Message));
            else if (sent.Context is SendContext<SerializedMessageBody> stored)
            {
                using var envelope = JsonDocument.Parse(stored.Serializer.GetMessageBody(stored).GetString());
                if (envelope.RootElement.GetProperty("messageType").EnumerateArray().Any(type => type.GetString() == urn))
                    events.Add((stored.MessageId, envelope.RootElement.GetProperty("message").Deserialize<T>(JsonSerializerOptions.Web)!));
            }
        }
        // A publish shows in both lists (its envelope as Sent, the message as Published): count it once, as Published.
        var published = harness.Published.Select<T>().Select(p => (p.Context.MessageId, p.Context.Message)).ToList();
        var publishedIds = published.Select(p => p.MessageId).ToHashSet();
        return [.. events.Where(e => !publishedIds.Contains(e.Item1)), .. published];
    }
}
