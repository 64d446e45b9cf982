using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Subscriber;

// A subscriber of the campaign's events: one receive endpoint (queue) of its own, bound by MassTransit to the exchange of
// each message type it consumes (Campaign.Contracts:DonorSecured). Settings: RabbitMq (an amqp:// or amqps:// URI with the
// user the operators gave this team) and Subscriber:Queue (default "donor-report-donor-secured").
var builder = Host.CreateApplicationBuilder(args);
var broker = builder.Configuration["RabbitMq"]
    ?? throw new InvalidOperationException("Missing required setting 'RabbitMq' (amqp://user:password@host:port/vhost).");
var queue = builder.Configuration["Subscriber:Queue"] ?? "donor-report-donor-secured";

builder.Services.AddMassTransit(bus =>
{
    bus.AddConsumer<DonorSecuredConsumer>();
    bus.UsingRabbitMq((context, rabbit) =>
    {
        rabbit.Host(new Uri(broker));
        rabbit.ReceiveEndpoint(queue, endpoint =>
        {
            // A failing message is retried, then moved to <queue>_error: it never blocks the queue or is lost.
            endpoint.UseMessageRetry(retry => retry.Intervals(100, 1000, 5000));
            endpoint.ConfigureConsumer<DonorSecuredConsumer>(context);
        });
    });
});

builder.Build().Run();
