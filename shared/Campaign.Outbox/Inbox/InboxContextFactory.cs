using Campaign.Outbox.Configuration;
using Campaign.Outbox.Relay;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Campaign.Outbox.Inbox;

/// <summary>
/// Runs a consumer behind the inbox, on the consumer's own DbContext. Per received message and consumer, one transaction
/// claims the inbox row, runs the consumer and stores its writes and the messages it published, as a unit of work of the
/// bus outbox that the relay delivers after commit. MassTransit's layer needs about N+4 transactions for N published
/// messages and delivers them inside the consume. (A second pass remains for rows its inline delivery left behind.)
/// </summary>
public sealed class InboxContextFactory<TDbContext>(
    TDbContext dbContext,
    IServiceProvider provider,
    EntityFrameworkOutboxOptions<TDbContext> outboxOptions,
    OutboxNotifier<TDbContext> notifier,
    TimeProvider clock) : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    string? _claimStatement;

    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = context.GetOriginalMessageId()
            ?? throw new MessageException(typeof(T), "A MessageId is required to use the inbox");

        var strategy = dbContext.Database.CreateExecutionStrategy();
        var firstPass = true;
        var continueProcessing = true;
        while (continueProcessing)
        {
            var finishedThisPass = false;
            await strategy.ExecuteAsync(async () =>
            {
                await using var transaction = await dbContext.Database.BeginTransactionAsync(outboxOptions.IsolationLevel, context.CancellationToken);
                try
                {
                    var inbox = await Claim(messageId, options.ConsumerId, firstPass, context.CancellationToken);
                    var wasFinished = inbox is { Consumed: not null, Delivered: not null };

                    var inboxContext = new InboxConsumeContext<TDbContext, T>(context, options, provider, dbContext, inbox, clock, false);
                    await next.Send(inboxContext);
                    await dbContext.SaveChangesAsync(context.CancellationToken);
                    await Commit(transaction, context);
                    if (inboxContext.StoredMessages(outboxOptions.QueryDelay))
                        notifier.Committed();

                    continueProcessing = inboxContext.ContinueProcessing;
                    finishedThisPass = !wasFinished && inbox is { Consumed: not null, Delivered: not null };
                }
                catch
                {
                    // The transaction rolls back on dispose; forget what the failed attempt tracked so a retry starts clean.
                    dbContext.ChangeTracker.Clear();
                    throw;
                }
            });
            firstPass = false;

            if (continueProcessing && finishedThisPass)
            {
                // Consumed and delivered in the pass that just committed: finishing (notify consumed) needs no database work.
                var finished = dbContext.ChangeTracker.Entries<InboxState>().Single().Entity;
                var finishing = new InboxConsumeContext<TDbContext, T>(context, options, provider, dbContext, finished, clock, true);
                await next.Send(finishing);
                continueProcessing = false;
            }
        }
    }

    /// <summary>Inserts the inbox row or, when it exists, locks it: one statement, safe under ReadCommitted.</summary>
    async Task<InboxState> Claim(Guid messageId, Guid consumerId, bool firstPass, CancellationToken cancellationToken)
    {
        foreach (var tracked in dbContext.ChangeTracker.Entries<InboxState>().ToList())
            tracked.State = EntityState.Detached;

        var i = OutboxTables.For(dbContext).InboxState;
        _claimStatement ??= $$"""
            INSERT INTO {{i}} ({{i["MessageId"]}}, {{i["ConsumerId"]}}, {{i["LockId"]}}, {{i["Received"]}}, {{i["ReceiveCount"]}})
            VALUES ({0}, {1}, {2}, {3}, 1)
            ON CONFLICT ({{i["MessageId"]}}, {{i["ConsumerId"]}}) DO UPDATE
                SET {{i["LockId"]}} = EXCLUDED.{{i["LockId"]}}, {{i["ReceiveCount"]}} = {{i}}.{{i["ReceiveCount"]}} + {4}
            RETURNING *
            """;

        var rows = await dbContext.Set<InboxState>()
            .FromSqlRaw(_claimStatement, messageId, consumerId, NewId.NextGuid(), clock.GetUtcNow().UtcDateTime, firstPass ? 1 : 0)
            .AsTracking()
            .ToListAsync(cancellationToken);
        return rows[0];
    }

    static async Task Commit<T>(IDbContextTransaction transaction, ConsumeContext<T> context)
        where T : class
    {
        try
        {
            await transaction.CommitAsync(context.CancellationToken);
        }
        catch (Exception exception)
        {
            await context.NotifyFaulted(TimeSpan.Zero, TypeCache<T>.ShortName, exception);
            throw;
        }
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CreateFilterScope("outboxContextFactory").Add("provider", "Campaign.Outbox (EF Core, PostgreSQL)");
    }
}
