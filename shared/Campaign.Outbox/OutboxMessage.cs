using MassTransit;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace Campaign.Outbox;

/// <summary>
/// A message stored with the business change that caused it: the whole serialized envelope, its ids,
/// headers (trace context included) and transport properties, so it is re-sent exactly as it would have been sent.
/// </summary>
public class OutboxMessage : OutboxMessageContext
{
    Headers? _headers;
    IReadOnlyDictionary<string, object>? _properties;

    public long SequenceNumber { get; set; }
    public Guid MessageId { get; set; }
    public Guid? ConversationId { get; set; }
    public Guid? CorrelationId { get; set; }
    public Guid? InitiatorId { get; set; }
    public Guid? RequestId { get; set; }
    public Uri? SourceAddress { get; set; }
    public Uri? DestinationAddress { get; set; }
    public Uri? ResponseAddress { get; set; }
    public Uri? FaultAddress { get; set; }
    public DateTime? ExpirationTime { get; set; }
    public DateTime? EnqueueTime { get; set; }
    public DateTime SentTime { get; set; }

    /// <summary>Set for messages published by a consumer: delivered by that consumer's inbox, not the relay.</summary>
    public Guid? InboxMessageId { get; set; }

    public Guid? InboxConsumerId { get; set; }

    /// <summary>Set for messages of the bus outbox: delivered by the relay.</summary>
    public Guid? OutboxId { get; set; }

    public string? Headers { get; set; }
    public string? Properties { get; set; }
    public string ContentType { get; set; } = null!;
    public string MessageType { get; set; } = null!;
    public string Body { get; set; } = null!;

    Guid? MessageContext.MessageId => MessageId;
    DateTime? MessageContext.SentTime => SentTime;
    Headers MessageContext.Headers => _headers ?? EmptyHeaders.Instance;
    HostInfo MessageContext.Host => HostMetadataCache.Host;
    IReadOnlyDictionary<string, object> OutboxMessageContext.Properties => _properties ?? EmptyProperties;

    static readonly Dictionary<string, object> EmptyProperties = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses the stored headers and properties; needed before the message is re-sent.</summary>
    public void Deserialize(IObjectDeserializer deserializer)
    {
        var headers = deserializer.DeserializeDictionary<object?>(Headers);
        _headers = headers is null ? EmptyHeaders.Instance : new DictionarySendHeaders(headers);
        _properties = deserializer.DeserializeDictionary<object>(Properties);
    }
}
