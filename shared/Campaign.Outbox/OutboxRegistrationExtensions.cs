using Campaign.Outbox.BusOutbox;
using Campaign.Outbox.Configuration;
using Campaign.Outbox.Inbox;
using Campaign.Outbox.Relay;
using Campaign.Outbox.Scheduling;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Campaign.Outbox;

/// <summary>Registration in MassTransit's idiom: <c>AddEntityFrameworkOutbox</c> on the bus, <c>UseEntityFrameworkOutbox</c> on endpoints.</summary>
public static class OutboxRegistrationExtensions
{
    /// <summary>
    /// Adds the outbox and inbox stored in <typeparamref name="TDbContext"/> (PostgreSQL) and the relay that delivers what is
    /// stored. Call <c>UseBusOutbox()</c> inside <paramref name="configure"/> to make scoped publish/send write to the
    /// DbContext too; <c>UseBusOutbox(o => o.DisableDeliveryService())</c> for an instance that only writes.
    /// </summary>
    public static void AddEntityFrameworkOutbox<TDbContext>(this IBusRegistrationConfigurator configurator,
        Action<IEntityFrameworkOutboxConfigurator>? configure = null)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);

        // Called again (typically inside AddMassTransitTestHarness, which removes MassTransit's scoped registrations):
        // keep the first configuration and only restore the bus outbox's scoped endpoints.
        var existing = configurator.FirstOrDefault(d => d.ServiceType == typeof(EntityFrameworkOutboxOptions<TDbContext>))?.ImplementationInstance;
        if (existing is EntityFrameworkOutboxOptions<TDbContext> { BusOutboxEnabled: true })
        {
            configurator.ReplaceScoped<IScopedBusContextProvider<IBus>, OutboxScopedBusContextProvider<IBus, TDbContext>>();
            AddMessageScheduler(configurator);
            return;
        }

        var options = new EntityFrameworkOutboxOptions<TDbContext>();
        var outbox = new OutboxConfigurator(options);
        configure?.Invoke(outbox);
        outbox.Validate();

        configurator.TryAddSingleton(options);
        configurator.TryAddSingleton(TimeProvider.System);
        configurator.AddMetrics();
        configurator.TryAddSingleton<OutboxMetrics>();
        configurator.TryAddSingleton<OutboxSignal<TDbContext>>();
        configurator.TryAddSingleton<OutboxNotifier<TDbContext>>();
        configurator.TryAddSingleton<OutboxStore<TDbContext>>();
        configurator.TryAddSingleton<OutboxBacklogReader<TDbContext>>();
        configurator.TryAddSingleton<ParkedOutboxes<TDbContext>>();
        configurator.TryAddScoped<IOutboxContextFactory<TDbContext>, InboxContextFactory<TDbContext>>();

        // A wrong provider stops the start; missing tables, columns or the notify trigger make the service Unhealthy, named.
        configurator.TryAddSingleton<OutboxSchemaCheck<TDbContext>>();
        configurator.AddHostedService(sp => sp.GetRequiredService<OutboxSchemaCheck<TDbContext>>());
        configurator.AddHealthChecks().AddCheck<OutboxSchemaCheck<TDbContext>>($"outbox-schema-{typeof(TDbContext).Name}", tags: ["ready", "outbox"]);

        if (options.InboxCleanupEnabled)
        {
            configurator.TryAddSingleton<InboxCleanupService<TDbContext>>();
            configurator.AddHostedService(sp => sp.GetRequiredService<InboxCleanupService<TDbContext>>());
        }

        if (options.BusOutboxEnabled)
        {
            configurator.ReplaceScoped<IScopedBusContextProvider<IBus>, OutboxScopedBusContextProvider<IBus, TDbContext>>();
            AddMessageScheduler(configurator);
        }

        // The relay runs with or without the bus outbox: what consumers behind the inbox publish is stored as units of work
        // too, and a setup with only UseEntityFrameworkOutbox on its endpoints stored it and never sent it.
        configurator.AddHealthChecks().AddCheck<OutboxHealthCheck<TDbContext>>($"outbox-{typeof(TDbContext).Name}", tags: ["ready", "outbox"]);
        if (options.DeliveryServiceEnabled)
        {
            configurator.TryAddSingleton<OutboxRelay<TDbContext>>();
            configurator.AddHostedService(sp => sp.GetRequiredService<OutboxRelay<TDbContext>>());
            configurator.AddHostedService<OutboxBacklogReporter<TDbContext>>();
            if (options.Notification != OutboxNotification.None)
                configurator.AddHostedService<OutboxListener<TDbContext>>();
        }
    }

    /// <summary>
    /// An <see cref="IMessageScheduler"/> for handlers outside consumers: it schedules through the scope's bus outbox, so the
    /// message waits in the outbox until due (committed with the handler's SaveChanges). Registered unless one is already,
    /// which also keeps MassTransit's test harness from putting its delayed scheduler in front of the outbox's.
    /// </summary>
    static void AddMessageScheduler(IBusRegistrationConfigurator configurator) =>
        configurator.TryAddScoped<IMessageScheduler>(provider =>
            provider.GetRequiredService<ISendEndpointProvider>().CreateDelayedMessageScheduler(provider.GetRequiredService<IBus>().Topology));

    /// <summary>
    /// Runs this endpoint's consumers and sagas behind the inbox stored in <typeparamref name="TDbContext"/>: their writes, the
    /// inbox row and what they publish commit together, a redelivered message is not consumed twice, and the broker message is
    /// acknowledged only after what the consumer published has been delivered. Messages they schedule (a state machine's
    /// <c>Schedule</c>, <c>ScheduleSend</c>, a publish with <c>Delay</c>) wait in the outbox until due, cancellable in a consume.
    /// </summary>
    public static void UseEntityFrameworkOutbox<TDbContext>(this IReceiveEndpointConfigurator configurator, IRegistrationContext context,
        Action<IOutboxOptionsConfigurator>? configure = null)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(context);

        // Deliver everything a consumer published in one pass (MassTransit's default sends one message per transaction).
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(configurator, context)
        {
            MessageDeliveryLimit = 100,
            MessageDeliveryTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(observer);

        // Schedule and Unschedule, ScheduleSend and SchedulePublish store the message in the outbox, due at its time.
        configurator.UseFilter(new OutboxMessageSchedulerFilter());
        configurator.ConnectConsumerConfigurationObserver(observer);
        configurator.ConnectSagaConfigurationObserver(observer);
    }
}
