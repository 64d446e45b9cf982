using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using MassTransit.Testing;

namespace VolunteerCoordinator.Tests;

/// <summary>
/// The events of a type the app put on the in-memory bus, whichever way they left.
/// Messages from an outbox (the bus outbox's relay, or the inbox delivering what a consumer published) reach the harness as
/// Sent&lt;SerializedMessageBody&gt; (the stored envelope re-sent to the message type's exchange), so neither
/// <c>harness.Sent.Any&lt;T&gt;()</c> nor <c>harness.Published.Any&lt;T&gt;()</c> sees them: this reads the envelope.
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
        foreach (var published in harness.Published.Select<T>())
            events.Add((published.Context.MessageId, published.Context.Message));
        return events;
    }
}
