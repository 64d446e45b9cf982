using System.Collections.Concurrent;
using System.Reflection;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;
using MassTransit.Testing;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Under MassTransit's test harness, lists what the relay delivered to its message type's exchange as
/// <c>harness.Published</c>, as a direct publish would have been: the relay re-sends a stored envelope, which the harness's
/// publish observer never sees (MassTransit's own EF outbox has that gap, its issue 4873). Outside the harness it does nothing.
/// </summary>
sealed class HarnessPublishes(IBus bus, PublishedMessageList published)
{
    static readonly MethodInfo AddMethod = typeof(HarnessPublishes).GetMethod(nameof(Add), BindingFlags.NonPublic | BindingFlags.Static)!;
    static readonly ConcurrentDictionary<string, Type?> TypesByUrn = new(StringComparer.Ordinal);

    /// <summary>The recorder for the harness in <paramref name="services"/>, or null when there is none.</summary>
    public static HarnessPublishes? For(IServiceProvider services, IBus bus) =>
        services.GetService(typeof(ITestHarness)) is ITestHarness { Published: PublishedMessageList published }
            ? new HarnessPublishes(bus, published)
            : null;

    public void Delivered(OutboxMessage message)
    {
        var type = message.MessageType.Split(';').Select(Resolve).FirstOrDefault(t => t is not null);
        if (type is null || !bus.Topology.TryGetPublishAddress(type, out var exchange) || exchange != message.DestinationAddress)
            return; // a send to a queue, not a publish

        var envelope = SystemTextJsonMessageSerializer.Instance.Deserialize(new StringMessageBody(message.Body),
            ((MessageContext)message).Headers, message.DestinationAddress);
        if (envelope.TryGetMessage(type, out var body))
            AddMethod.MakeGenericMethod(type).Invoke(null, [published, body, message]);
    }

    static void Add<T>(PublishedMessageList list, T body, OutboxMessage stored)
        where T : class =>
        list.Add(new MessageSendContext<T>(body)
        {
            MessageId = stored.MessageId,
            CorrelationId = stored.CorrelationId,
            ConversationId = stored.ConversationId,
            InitiatorId = stored.InitiatorId,
            SourceAddress = stored.SourceAddress,
            DestinationAddress = stored.DestinationAddress,
        });

    /// <summary>The loaded type a message URN (urn:message:Namespace:Name) names, if any.</summary>
    static Type? Resolve(string urn) => TypesByUrn.GetOrAdd(urn, static u => AppDomain.CurrentDomain.GetAssemblies()
        .Where(a => !a.IsDynamic)
        .SelectMany(a =>
        {
            try
            {
                return a.GetExportedTypes();
            }
            catch (Exception e) when (e is ReflectionTypeLoadException or NotSupportedException or FileNotFoundException)
            {
                return [];
            }
        })
        .FirstOrDefault(t => t is { IsClass: true, ContainsGenericParameters: false } && MessageUrn.ForTypeString(t) == u));
}
