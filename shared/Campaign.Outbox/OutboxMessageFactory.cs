using MassTransit;
using MassTransit.Serialization;
using MassTransit.Context;

namespace Campaign.Outbox;

static class OutboxMessageFactory
{
    /// <summary>The transport property MassTransit writes a send's delay to (its MessageSendContext).</summary>
    const string DelayProperty = "Delay";

    /// <summary>Captures everything a direct send would have put on the wire, so the relay can re-send it unchanged.</summary>
    public static OutboxMessage Create<T>(SendContext<T> context, DateTime now)
        where T : class
    {
        if (context.MessageId is not { } messageId)
            throw new MessageException(typeof(T), "The SendContext MessageId must be present to store a message in the outbox");

        var message = new OutboxMessage
        {
            MessageId = messageId,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? now,
            ContentType = (context.ContentType ?? context.Serialization.DefaultContentType).ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            Headers = SystemTextJsonMessageSerializer.Instance.SerializeDictionary(context.Headers.GetAll()),
        };

        if (context.TimeToLive is { } timeToLive)
            message.ExpirationTime = now + timeToLive;
        // Delayed (Publish/Send with Delay, or MassTransit's delayed scheduler): the outbox holds it until due, on this clock.
        if (context.Delay is { } delay && delay > TimeSpan.Zero)
            message.EnqueueTime = now + delay;

        if (context is TransportSendContext<T> transportContext)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transportContext.WritePropertiesTo(properties);

            // The outbox holds a delayed message until due: re-sent with its delay, the broker would need a delay plugin.
            properties.Remove(DelayProperty);
            message.Properties = SystemTextJsonMessageSerializer.Instance.SerializeDictionary(properties);
        }

        return message;
    }
}
