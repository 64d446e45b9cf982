using Campaign.Contracts;
using Communications.Mail;
using MassTransit;

namespace Communications.Consumers;

/// <summary>Queues the thank-you mail for a newly secured donor (runs behind the inbox: once per message).</summary>
public sealed class DonorSecuredConsumer(OutgoingMail mail) : IConsumer<DonorSecured>
{
    public Task Consume(ConsumeContext<DonorSecured> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return mail.QueueOnceAsync(Letters.DonorThankYou(context.Message), context.CancellationToken);
    }
}
