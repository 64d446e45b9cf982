using Campaign.Contracts;
using Communications.Mail;
using MassTransit;

namespace Communications.Consumers;

/// <summary>
/// Queues the thank-you mail for a newly secured donor (runs behind the inbox: once per message), and addresses the donor's
/// written thank-you if their overdue call was announced here first.
/// </summary>
public sealed class DonorSecuredConsumer(OutgoingMail mail) : IConsumer<DonorSecured>
{
    public async Task Consume(ConsumeContext<DonorSecured> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Without a donor the mail has no key to be sent once by: refuse the message (after the retries it waits in the error
        // queue) instead of queuing a mail about donor 00000000-0000-0000-0000-000000000000.
        if (context.Message.DonorId == Guid.Empty)
            throw new InvalidOperationException("DonorSecured without a DonorId cannot be consumed.");

        var thankYou = Letters.DonorThankYou(context.Message);
        await mail.LockAboutAsync(thankYou.SourceEventKey, context.CancellationToken);
        await mail.QueueOnceAsync(thankYou, context.CancellationToken);
        await mail.ReleaseAwaitingAsync(MessageKinds.DonorThankYouLetter, thankYou.SourceEventKey, thankYou.Recipient, context.CancellationToken);
    }
}
