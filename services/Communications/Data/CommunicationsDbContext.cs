using Campaign.Outbox;
using Campaign.ServiceDefaults.Audit;
using Microsoft.EntityFrameworkCore;

namespace Communications.Data;

public sealed class CommunicationsDbContext(DbContextOptions<CommunicationsDbContext> options) : DbContext(options)
{
    public DbSet<OutboundMessage> OutboundMessages => Set<OutboundMessage>();

    public DbSet<SendAttempt> SendAttempts => Set<SendAttempt>();

    /// <summary>Set when this context saved a message that still has to be sent; the commit then wakes the sender.</summary>
    internal bool HasUncommittedMail { get; set; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CommunicationsDbContext).Assembly);
        modelBuilder.AddTransactionalOutboxEntities();
        modelBuilder.AddAuditTrail();
    }
}
