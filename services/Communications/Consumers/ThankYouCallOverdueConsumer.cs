using Campaign.Contracts;
using Communications.Data;
using Communications.Mail;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Consumers;

/// <summary>
/// Queues the written thank-you for a donor whose thank-you call was not made in time (runs behind the inbox: once per
/// message, and at most one letter per donor). The address is the one the donor's thank-you mail went to: Communications
/// keeps it, VolunteerCoordinator never had it.
/// </summary>
public sealed class ThankYouCallOverdueConsumer(CommunicationsDbContext db, OutgoingMail mail) : IConsumer<ThankYouCallOverdue>
{
    public async Task Consume(ConsumeContext<ThankYouCallOverdue> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var donorId = context.Message.DonorId.ToString();
        var recipient = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.Kind == MessageKinds.DonorThankYou && m.SourceEventKey == donorId)
            .Select(m => m.Recipient)
            .SingleOrDefaultAsync(context.CancellationToken);

        // DonorSecured not consumed here yet (or never): retried, then parked in the error queue for an operator.
        if (recipient is null)
            throw new InvalidOperationException("No thank-you mail for the overdue call's donor yet: its address is unknown here.");

        await mail.QueueOnceAsync(Letters.DonorThankYouLetter(context.Message, recipient), context.CancellationToken);
    }
}
