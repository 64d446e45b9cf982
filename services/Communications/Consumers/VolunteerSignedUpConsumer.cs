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

        // Without a volunteer the mail has no key to be sent once by: refuse the message (after the retries it waits in the
        // error queue) instead of queuing a mail about volunteer 00000000-0000-0000-0000-000000000000.
        if (context.Message.VolunteerId == Guid.Empty)
            throw new InvalidOperationException("VolunteerSignedUp without a VolunteerId cannot be consumed.");
        return mail.QueueOnceAsync(Letters.VolunteerWelcome(context.Message), context.CancellationToken);
    }
}
