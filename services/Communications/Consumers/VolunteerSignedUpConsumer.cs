using Campaign.Contracts;
using Communications.Mail;
using MassTransit;

namespace Communications.Consumers;

/// <summary>Queues the welcome mail for a volunteer who signed up (runs behind the inbox: once per message).</summary>
public sealed class VolunteerSignedUpConsumer(OutgoingMail mail) : IConsumer<VolunteerSignedUp>
{
    public Task Consume(ConsumeContext<VolunteerSignedUp> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return mail.QueueOnceAsync(Letters.VolunteerWelcome(context.Message), context.CancellationToken);
    }
}
