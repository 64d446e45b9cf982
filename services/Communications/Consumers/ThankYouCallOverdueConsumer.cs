using Campaign.Contracts;
using Communications.Data;
using Communications.Mail;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Consumers;

/// <summary>
/// Queues the written thank-you for a donor whose thank-you call was not made in time (runs behind the inbox: once per
/// message, and at most one letter per donor). The address is the one the donor's thank-you mail went to: Communications
/// keeps it, VolunteerCoordinator never had it. When the donor's DonorSecured has not been consumed here yet (a backlog on
/// its queue), the letter waits for it, written but unaddressed, and <see cref="DonorSecuredConsumer"/> addresses it.
/// </summary>
public sealed class ThankYouCallOverdueConsumer(CommunicationsDbContext db, OutgoingMail mail) : IConsumer<ThankYouCallOverdue>
{
    public async Task Consume(ConsumeContext<ThankYouCallOverdue> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var donorId = context.Message.DonorId.ToString();
        await mail.LockAboutAsync(donorId, context.CancellationToken);
        var recipient = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.Kind == MessageKinds.DonorThankYou && m.SourceEventKey == donorId)
            .Select(m => m.Recipient)
            .SingleOrDefaultAsync(context.CancellationToken);

        var letter = Letters.DonorThankYouLetter(context.Message, recipient ?? "");
        if (recipient is null)
            await mail.HoldOnceAsync(letter, context.CancellationToken);
        else
            await mail.QueueOnceAsync(letter, context.CancellationToken);
    }
}
