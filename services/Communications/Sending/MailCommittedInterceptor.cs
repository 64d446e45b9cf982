using System.Data.Common;
using Communications.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Communications.Sending;

/// <summary>
/// Wakes the sender right after a transaction that queued mail commits (a consumer's inbox transaction), not before:
/// woken earlier, the sender would not see the row yet and would wait for its next poll.
/// </summary>
sealed class MailCommittedInterceptor(OutboundMailSignal signal) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        NoteQueuedMail(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        NoteQueuedMail(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        WakeIfCommitted(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        WakeIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    static void NoteQueuedMail(DbContext? context)
    {
        if (context is CommunicationsDbContext db
            && db.ChangeTracker.Entries<OutboundMessage>().Any(e => e.Entity.Status == OutboundMessageStatus.Pending
                && (e.State == EntityState.Added
                    || (e.State == EntityState.Modified && e.Property(m => m.Status).OriginalValue == OutboundMessageStatus.AwaitingAddress))))
        {
            db.HasUncommittedMail = true;
        }
    }

    /// <summary>SaveChanges without an explicit transaction has committed when it returns.</summary>
    void WakeIfCommitted(DbContext? context)
    {
        if (context is CommunicationsDbContext { HasUncommittedMail: true } db && db.Database.CurrentTransaction is null)
            Committed(db);
    }

    void Committed(DbContext? context)
    {
        if (context is CommunicationsDbContext { HasUncommittedMail: true } db)
        {
            db.HasUncommittedMail = false;
            signal.Wake();
        }
    }

    static void Forget(DbContext? context)
    {
        if (context is CommunicationsDbContext db)
            db.HasUncommittedMail = false;
    }
}
