using Campaign.ServiceDefaults;
using Campaign.ServiceDefaults.Retention;
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
            bus.AddConsumer<ThankYouCallOverdueConsumer>();
        });

        // Request log lines cost CPU and add nothing that traces and metrics do not show; addresses no longer travel in
        // URLs (POST /messages/search), but a client may still try.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddScoped<OutgoingMail>();
        builder.AddOutboundMail();
        builder.AddRetentionPolicy<MailBodiesRetention>();
        return builder;
    }

    public static WebApplication MapCommunicationsEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMessagesEndpoints();
        return app;
    }
}
