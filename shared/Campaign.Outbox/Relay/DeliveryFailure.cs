using System.Net.Sockets;
using MassTransit;

namespace Campaign.Outbox.Relay;

static class DeliveryFailure
{
    /// <summary>
    /// A broker that is down, unreachable or too slow to confirm is not the message's fault: the relay pauses
    /// and retries, and counts no attempt against the outbox.
    /// </summary>
    public static bool IsBrokerTrouble(Exception exception)
    {
        for (var e = (Exception?)exception; e is not null; e = e.InnerException)
        {
            if (e is ConnectionException or TimeoutException or OperationCanceledException or IOException or SocketException)
                return true;
            var ns = e.GetType().Namespace ?? "";
            if (ns.StartsWith("RabbitMQ.Client", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>What is kept of an error: its type and message, cut short; never the message body.</summary>
    public static string Describe(Exception exception)
    {
        var text = $"{exception.GetType().Name}: {exception.Message}";
        return text.Length <= 2000 ? text : text[..2000];
    }
}
