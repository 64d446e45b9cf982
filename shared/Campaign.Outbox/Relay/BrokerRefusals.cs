using System.Collections.Concurrent;
using MassTransit;

namespace Campaign.Outbox.Relay;

/// <summary>
/// Hears the broker refuse a message (access refused, no such exchange): RabbitMQ closes the channel with reply code 403,
/// 404 or 406 and names the exchange, MassTransit reports the send as faulted to its send observers and, for the sender, keeps
/// retrying on a new channel until the send times out, which looked like a slow broker. The relay watches each message it
/// sends and fails that send at once with a <see cref="MessageRefusedException"/>: the message's fault, counted against its
/// unit of work, which is parked after repeated refusals while everything else flows.
/// </summary>
sealed class BrokerRefusals : ISendObserver
{
    readonly ConcurrentDictionary<Guid, TaskCompletionSource<Exception>> _watched = new();

    /// <summary>A task that completes with the broker's refusal of this message, for as long as the returned watch lives.</summary>
    public Watch For(Guid messageId)
    {
        var refused = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        _watched[messageId] = refused;
        return new Watch(this, messageId, refused.Task);
    }

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class
    {
        // The closed channel fails every send in flight on it; only the one whose exchange the broker named was refused.
        if (context.MessageId is { } id && RefusalCode(exception) is not null && Names(exception, context.DestinationAddress)
            && _watched.TryGetValue(id, out var refused))
        {
            refused.TrySetResult(exception);
        }
        return Task.CompletedTask;
    }

    public Task PreSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    /// <summary>
    /// The AMQP reply code of a channel the broker closed because of the message (403, 404, 406), else null. Read by shape
    /// (<c>ShutdownReason.ReplyCode</c> of RabbitMQ.Client's exception): the outbox depends on no transport.
    /// </summary>
    public static int? RefusalCode(Exception exception)
    {
        for (var e = (Exception?)exception; e is not null; e = e.InnerException)
        {
            var reason = e.GetType().GetProperty("ShutdownReason")?.GetValue(e);
            if (reason?.GetType().GetProperty("ReplyCode")?.GetValue(reason) is ushort code && code is 403 or 404 or 406)
                return code;
        }
        return null;
    }

    static bool Names(Exception exception, Uri? destination)
    {
        var exchange = destination?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return exchange is not null && exception.Message.Contains($"'{Uri.UnescapeDataString(exchange)}'", StringComparison.Ordinal);
    }

    public sealed class Watch(BrokerRefusals owner, Guid messageId, Task<Exception> refused) : IDisposable
    {
        public Task<Exception> Refused { get; } = refused;

        public void Dispose() => owner._watched.TryRemove(messageId, out _);
    }
}

/// <summary>The broker refused the message itself (access refused, no such exchange, too large): a message fault.</summary>
public sealed class MessageRefusedException : Exception
{
    public MessageRefusedException()
    {
    }

    public MessageRefusedException(string message)
        : base(message)
    {
    }

    public MessageRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
