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
