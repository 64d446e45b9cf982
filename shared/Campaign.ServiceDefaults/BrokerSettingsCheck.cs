using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Campaign.ServiceDefaults;

/// <summary>
/// Connects once to the broker of <c>ConnectionStrings:RabbitMq</c> before the bus starts. A broker that refuses the user,
/// the password or the virtual host stops the start with an error naming the setting (MassTransit would otherwise log
/// "Broker unreachable", give up on the bus and leave the service running without it). A broker that is down is left to
/// MassTransit, which keeps reconnecting: it is waited for, not crashed on.
/// </summary>
sealed partial class BrokerSettingsCheck(IConfiguration configuration, ILogger<BrokerSettingsCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (MessagingExtensions.CheckConnection(configuration, "settings check") is not { } factory)
            return; // the bus registration reports a missing or malformed setting
        var uri = new Uri(configuration[MessagingExtensions.RabbitMqKey]!); // as given: the error names what was set
        try
        {
            await using var connection = await factory.ConnectToAnyNodeAsync(configuration, cancellationToken);

            // The broker may accept the handshake and refuse the virtual host just after, closing the connection: a channel
            // round trip makes that visible (an AlreadyClosedException, or the close reason on the connection).
            await using (await connection.CreateChannelAsync(cancellationToken: cancellationToken))
            {
            }
            if (connection.CloseReason is { ReplyCode: 530 or 403 } closed)
                throw Wrong(uri, closed.ReplyText, null);
            await connection.CloseAsync(cancellationToken);
        }
        catch (Exception exception) when (Refused(exception) is { } reason)
        {
            throw Wrong(uri, reason, exception);
        }
        catch (Exception exception) when (exception is not InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, uri.Host, uri.Port, exception.GetBaseException().Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    static InvalidOperationException Wrong(Uri uri, string reason, Exception? exception) => new(
        $"Setting '{MessagingExtensions.RabbitMqKey}' (environment variable ConnectionStrings__RabbitMq) is wrong: the broker at "
        + $"{uri.Host}:{uri.Port} refused it ({reason}).", exception);

    /// <summary>Why the broker refused the connection (credentials, virtual host), or null when it could not be reached.</summary>
    static string? Refused(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            switch (exception)
            {
                case AuthenticationFailureException:
                    return "the user name or password is wrong";
                case OperationInterruptedException { ShutdownReason.ReplyCode: 530 or 403 } interrupted:
                    return interrupted.ShutdownReason.ReplyText;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(Refused).FirstOrDefault(r => r is not null);
            }
        }
        return null;
    }

    [LoggerMessage(LogLevel.Warning, "The broker at {Host}:{Port} is not reachable yet ({Reason}); the bus keeps trying to connect.")]
    static partial void LogUnreachable(ILogger logger, string host, int port, string reason);
}
