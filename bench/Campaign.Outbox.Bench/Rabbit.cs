using Campaign.Testing;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Campaign.Outbox.Bench;

/// <summary>The private RabbitMQ node (from <c>.local/infra.env</c>) and cleanup of what one configuration run declared.</summary>
static class Rabbit
{
    public static Uri Uri { get; } = new(TestInfrastructure.RabbitMq);

    public static void ConfigureHost(IRabbitMqBusFactoryConfigurator rabbit)
    {
        var user = Uri.UserInfo.Split(':', 2);
        var vhost = Uri.UnescapeDataString(Uri.AbsolutePath.TrimStart('/'));
        rabbit.Host(Uri.Host, (ushort)Uri.Port, vhost.Length == 0 ? "/" : vhost, h =>
        {
            h.Username(Uri.UnescapeDataString(user[0]));
            h.Password(user.Length > 1 ? Uri.UnescapeDataString(user[1]) : string.Empty);
        });
    }

    /// <summary>Deletes the run's queue and exchanges (the queue is auto-delete anyway; the exchanges are not).</summary>
    public static async Task DeleteAsync(IEnumerable<string> queues, IEnumerable<string> exchanges)
    {
        try
        {
            var factory = new ConnectionFactory { Uri = Uri, ClientProvidedName = "campaign-bench-cleanup" };
            await using var connection = await factory.CreateConnectionAsync();
            foreach (var queue in queues)
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
            }
            foreach (var exchange in exchanges)
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.ExchangeDeleteAsync(exchange, ifUnused: false);
            }
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or OperationInterruptedException or IOException)
        {
            await Console.Error.WriteLineAsync($"[bench] cleanup of RabbitMQ entities failed: {exception.Message}");
        }
    }
}
