using Campaign.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Consumers;

/// <summary>
/// Creates the one thank-you call for a newly secured donor and gives it to the phone-banker with the fewest calls in hand
/// (ties: the earliest to sign up), or leaves it open when there is none. Runs behind the inbox: the call, the inbox row and
/// ThankYouCallAssigned commit together, and a redelivered message is not consumed twice.
/// </summary>
public sealed partial class DonorSecuredConsumer(VolunteerCoordinatorDbContext db, TimeProvider clock, ILogger<DonorSecuredConsumer> logger)
    : IConsumer<DonorSecured>
{
    public async Task Consume(ConsumeContext<DonorSecured> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var donor = context.Message;
        var cancellationToken = context.CancellationToken;

        // Without a donor there is nobody to call: refuse the message (after the retries it waits in the error queue) instead
        // of creating a call for donor 00000000-0000-0000-0000-000000000000.
        if (donor.DonorId == Guid.Empty)
            throw new InvalidOperationException("DonorSecured without a DonorId cannot be consumed.");

        // A different message about the same donor (CampaignFinance publishing again, a replay) is not a new call.
        if (await db.ThankYouCalls.AnyAsync(c => c.DonorId == donor.DonorId, cancellationToken))
        {
            LogAlreadyExists(logger, donor.DonorId);
            return;
        }

        var now = clock.GetUtcNow();
        var volunteerId = await FindCaller(cancellationToken);
        var call = new ThankYouCall
        {
            Id = Guid.CreateVersion7(now),
            DonorId = donor.DonorId,
            DonorName = DonorName(donor.Name),
            VolunteerId = volunteerId,
            CreatedAt = now,
            AssignedAt = volunteerId is null ? null : now,
        };
        db.ThankYouCalls.Add(call);
        try
        {
            // Inside the inbox transaction EF saves behind a savepoint: on a conflict only this insert is undone.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another message about the same donor created the call concurrently and committed first.
            db.Entry(call).State = EntityState.Detached;
            LogAlreadyExists(logger, donor.DonorId);
            return;
        }

        if (volunteerId is null)
        {
            LogLeftOpen(logger, call.Id, donor.DonorId);
            return;
        }

        // Stored in the outbox in this transaction; the relay delivers it once the transaction commits.
        await context.Publish(new ThankYouCallAssigned(call.Id, donor.DonorId, volunteerId.Value, now), cancellationToken);
        LogAssigned(logger, call.Id, donor.DonorId, volunteerId.Value);
    }

    /// <summary>
    /// The phone-banker with the fewest assigned, uncompleted calls; ties go to the earliest sign-up. Every phone-banker is
    /// available: availability says when someone can help, and a thank-you call can wait for that time. One index lookup
    /// (<see cref="Volunteer.OpenCalls"/>), whatever the size of the team and its call history.
    /// </summary>
    /// <remarks>
    /// The row stays locked until the inbox transaction commits (the call's insert bumps its count), so concurrent donors are
    /// spread over the team: each takes the least busy phone-banker nobody else is assigning to. When every one of them is
    /// being assigned to (more consumers than phone-bankers), it looks again shortly rather than queueing on the least busy
    /// row: every consumer queued there would get that same volunteer, whose new count it cannot see.
    /// </remarks>
    async Task<Guid?> FindCaller(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await PickAsync(LeastBusyFreePhoneBanker, cancellationToken) is { } free)
                return free;
            if (attempt == 0 && !await db.Volunteers.AnyAsync(v => v.Skills.Contains(VolunteerSkills.PhoneBanking), cancellationToken))
                return null;
#pragma warning disable CA5394 // jitter, not security
            await Task.Delay(TimeSpan.FromMilliseconds(5 + Random.Shared.Next(15)), cancellationToken);
#pragma warning restore CA5394
        }
        return await PickAsync(LeastBusyPhoneBanker, cancellationToken);
    }

    async Task<Guid?> PickAsync(string query, CancellationToken cancellationToken)
    {
        var found = await db.Database.SqlQueryRaw<Guid>(query).ToListAsync(cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    // The skill is a literal, not a parameter: the planner can then use the partial index on phone-bankers.
    const string LeastBusyPhoneBanker = $"""
        SELECT "Id" AS "Value" FROM "Volunteers" WHERE "Skills" @> ARRAY['{VolunteerSkills.PhoneBanking}']::text[]
        ORDER BY "OpenCalls", "SignedUpAt", "Id" LIMIT 1 FOR UPDATE
        """;

    const string LeastBusyFreePhoneBanker = LeastBusyPhoneBanker + " SKIP LOCKED";

    /// <summary>
    /// The name as the column can store it, so an odd event does not become a poison message: CampaignFinance limits names to
    /// 200 characters, but a longer one is cut (never inside a surrogate pair), and NUL, which PostgreSQL text refuses, is dropped.
    /// </summary>
    internal static string DonorName(string? name)
    {
        var cleaned = (name ?? "").Replace("\0", "", StringComparison.Ordinal).Trim();
        if (cleaned.Length <= ThankYouCallLimits.DonorNameLength)
            return cleaned;
        var length = char.IsHighSurrogate(cleaned[ThankYouCallLimits.DonorNameLength - 1])
            ? ThankYouCallLimits.DonorNameLength - 1
            : ThankYouCallLimits.DonorNameLength;
        return cleaned[..length].TrimEnd();
    }

    [LoggerMessage(LogLevel.Information, "Thank-you call {CallId} for donor {DonorId} assigned to volunteer {VolunteerId}.")]
    static partial void LogAssigned(ILogger logger, Guid callId, Guid donorId, Guid volunteerId);

    [LoggerMessage(LogLevel.Information, "Thank-you call {CallId} for donor {DonorId} is open: no volunteer can phone-bank yet.")]
    static partial void LogLeftOpen(ILogger logger, Guid callId, Guid donorId);

    [LoggerMessage(LogLevel.Information, "Donor {DonorId} already has a thank-you call; not creating another.")]
    static partial void LogAlreadyExists(ILogger logger, Guid donorId);
}
