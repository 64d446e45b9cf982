using System.Net.Security;
using Campaign.Outbox;
using MassTransit;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace Campaign.ServiceDefaults;

public static class MessagingExtensions
{
    internal const string RabbitMqKey = "ConnectionStrings:RabbitMq";
    internal const string QuorumQueuesKey = "Messaging:QuorumQueues";
    internal const string BrokerNodesKey = "Messaging:BrokerNodes";

    /// <summary>
    /// MassTransit over RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an amqp:// URI), with the service's outbox and inbox
    /// stored in <typeparamref name="TDbContext"/>. <paramref name="configure"/> adds the service's consumers.
    /// </summary>
    public static IHostApplicationBuilder AddServiceMessaging<TDbContext>(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configure)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        // Before the bus's own hosted service: refused credentials stop the start, naming the setting.
        builder.Services.AddHostedService<BrokerSettingsCheck>();

        // A receive endpoint that stopped consuming for good stops the service, for its supervisor to restart.
        builder.Services.Configure<ConsumerWatchdogOptions>(builder.Configuration.GetSection(ConsumerWatchdogOptions.Section));
        builder.Services.AddSingleton<ConsumerWatchdog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConsumerWatchdog>());
        builder.Services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<ConsumerWatchdog>());
        builder.Services.AddHealthChecks().AddCheck<ConsumerWatchdog>("consumers", tags: ["live", "ready"]);

        // The outbox's figures and parked units of work for the operators (MapDefaultEndpoints maps them).
        builder.Services.AddSingleton(new OutboxAdministration(app => app.MapOutboxAdministration<TDbContext>().RequireScope(OutboxAdministration.Scope)));

        builder.Services.AddMassTransit(bus =>
        {
            configure(bus);
            bus.AddServiceOutbox<TDbContext>();

            // Quorum queues by default: replicated over the cluster's nodes (a lost node loses no message) and MassTransit
            // gives their _error and _skipped queues the same type. A broker that cannot have them sets
            // Messaging:QuorumQueues=false. An existing queue keeps its type: RabbitMQ refuses to declare it as the other
            // one, so switching means draining and deleting the old queues first (docs/deploy.md).
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator queue
                    && context.GetRequiredService<IConfiguration>().GetValue(QuorumQueuesKey, defaultValue: true))
                {
                    queue.SetQuorumQueue();
                }
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var configuration = context.GetRequiredService<IConfiguration>();
                var address = configuration[RabbitMqKey]
                    ?? throw new InvalidOperationException($"Missing required setting '{RabbitMqKey}'.");
                rabbit.UseBrokerAddress(address, BrokerNodes(configuration), TrustedCa.ValidationCallback(configuration));

                // Queues are named after the service: volunteer-coordinator-donor-secured, communications-donor-secured.
                // Without the prefix both services' DonorSecuredConsumer shared one queue, "donor-secured", as competing
                // consumers: each DonorSecured reached only one of the two subscribers.
                var service = KebabCaseEndpointNameFormatter.Instance.SanitizeName(context.GetRequiredService<IHostEnvironment>().ApplicationName);
                rabbit.ConfigureEndpoints(context, new KebabCaseEndpointNameFormatter(service, false));

                // The bus's own (temporary) endpoint under the service's prefix too, so each service's broker user may use
                // queues of its own prefix only (MassTransit's default name starts with the machine's).
                rabbit.OverrideDefaultBusEndpointQueueName($"{service}-bus-{NewId.NextGuid():N}");
            });
        });
        return builder;
    }

    /// <summary>
    /// The bus settings every service shares, whatever the transport. A test host calls it again inside
    /// <c>AddMassTransitTestHarness</c> to keep the bus outbox on the in-memory harness:
    /// kebab-case queue names, the bus outbox in <typeparamref name="TDbContext"/>, and on every endpoint a short retry
    /// followed by the inbox. A message that still fails goes to the queue's <c>_error</c> queue, not round in a loop.
    /// </summary>
    public static IBusRegistrationConfigurator AddServiceOutbox<TDbContext>(this IBusRegistrationConfigurator bus)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(bus);

        // On by default in MassTransit 8.5: it reports to the vendor which consumers and messages this service has. A
        // campaign's systems send nothing to third parties without a decision; our telemetry goes where OTEL_* says.
        bus.DisableUsageTelemetry();

        // Called again inside AddMassTransitTestHarness: restore the bus outbox, keep the endpoint filters added once.
        if (bus.Any(d => d.ServiceType == typeof(ServiceOutboxMarker<TDbContext>)))
        {
            bus.AddEntityFrameworkOutbox<TDbContext>();
            return bus;
        }

        bus.AddSingleton<ServiceOutboxMarker<TDbContext>>();
        bus.SetKebabCaseEndpointNameFormatter();
        bus.AddEntityFrameworkOutbox<TDbContext>(outbox =>
        {
            outbox.UsePostgres();
            outbox.UseBusOutbox();
        });
        bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
        {
            endpoint.UseMessageRetry(retry => retry.Intervals(100, 500, 1000, 2000));
            endpoint.UseEntityFrameworkOutbox<TDbContext>(context);
        });
        return bus;
    }

    sealed class ServiceOutboxMarker<TDbContext>;

    /// <summary>Maps <c>/admin/outbox</c> for the service's own outbox, behind the operators' scope.</summary>
    internal sealed record OutboxAdministration(Action<IEndpointRouteBuilder> Map)
    {
        public const string Scope = "outbox.admin";
    }

    /// <summary>
    /// A plain RabbitMQ.Client connection to the broker of <c>ConnectionStrings:RabbitMq</c>, beside MassTransit's, for checks
    /// that must not trust the bus's own view; null when the setting is not an amqp(s) URI (the bus reports that).
    /// </summary>
    public static ConnectionFactory? CheckConnection(IConfiguration configuration, string purpose)
    {
        if (!Uri.TryCreate(configuration[RabbitMqKey], UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            return null;
        var factory = new ConnectionFactory
        {
            Uri = uri, // amqps:// turns TLS on, with the host as the name to verify
            ClientProvidedName = purpose,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            AutomaticRecoveryEnabled = false,
        };
        if (uri.Scheme == "amqps" && TrustedCa.ValidationCallback(configuration) is { } validate)
            factory.Ssl.CertificateValidationCallback = validate;
        return factory;
    }

    /// <summary>
    /// <c>Messaging:BrokerNodes</c>: every node of a RabbitMQ cluster as <c>host:port</c>, comma-separated (the URI's user,
    /// password, virtual host and scheme apply to each). Connections go to any node that answers, so a lost node is
    /// survived by reconnecting to another. Empty: the URI's one host.
    /// </summary>
    static IReadOnlyList<(string Host, int Port)> BrokerNodes(IConfiguration configuration) =>
        [.. (configuration[BrokerNodesKey] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(node =>
            node.LastIndexOf(':') is var colon and > 0 && int.TryParse(node[(colon + 1)..], out var port) && port is > 0 and <= 65535
                ? (node[..colon], port)
                : throw new InvalidOperationException($"Setting '{BrokerNodesKey}' must list host:port pairs, comma-separated; '{node}' is not one."))];

    /// <summary>A connection for a check, to the URI's node or, with <c>Messaging:BrokerNodes</c>, to the first node that answers.</summary>
    public static Task<IConnection> ConnectToAnyNodeAsync(this ConnectionFactory factory, IConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var nodes = BrokerNodes(configuration);
        return nodes.Count == 0
            ? factory.CreateConnectionAsync(cancellationToken)
            : factory.CreateConnectionAsync([.. nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port, factory.Ssl))], cancellationToken);
    }

    static void UseBrokerAddress(this IRabbitMqBusFactoryConfigurator rabbit, string address, IReadOnlyList<(string Host, int Port)> nodes,
        RemoteCertificateValidationCallback? validate)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException($"Setting '{RabbitMqKey}' must be an amqp:// or amqps:// URI.");

        var credentials = uri.UserInfo.Split(':', 2);
        var virtualHost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        rabbit.Host(uri.Host, (ushort)(uri.IsDefaultPort ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port),
            virtualHost.Length == 0 ? "/" : virtualHost, host =>
            {
                if (credentials[0].Length > 0)
                    host.Username(Uri.UnescapeDataString(credentials[0]));
                if (credentials.Length > 1)
                    host.Password(Uri.UnescapeDataString(credentials[1]));
                if (nodes.Count > 0)
                    host.UseCluster(cluster =>
                    {
                        foreach (var (name, port) in nodes)
                            cluster.Node($"{name}:{port}");
                    });
                if (uri.Scheme == "amqps")
                {
                    host.UseSsl(ssl =>
                    {
                        ssl.ServerName = uri.Host;
                        if (validate is not null)
                            ssl.CertificateValidationCallback = validate;
                    });
                }
            });
    }
}
