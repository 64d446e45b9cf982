using Campaign.ServiceDefaults;
using Communications.Consumers;
using Communications.Data;
using Communications.Features.Messages;
using Communications.Mail;
using Communications.Sending;

namespace Communications;

public static class CommunicationsExtensions
{
    /// <summary>
    /// The database, the consumers that queue thank-you and welcome mail, and the background sender that delivers it.
    /// </summary>
    public static WebApplicationBuilder AddCommunications(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDatabase<CommunicationsDbContext>("Communications");
        builder.AddServiceMessaging<CommunicationsDbContext>(bus =>
        {
            bus.AddConsumer<DonorSecuredConsumer>();
            bus.AddConsumer<VolunteerSignedUpConsumer>();
        });

        // The request log line carries the query string, and GET /messages?recipient= puts an address there. Requests
        // still show in traces (whose query values OpenTelemetry redacts) and metrics.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddScoped<OutgoingMail>();
        builder.AddOutboundMail();
        return builder;
    }

    public static WebApplication MapCommunicationsEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMessagesEndpoints();
        return app;
    }
}
