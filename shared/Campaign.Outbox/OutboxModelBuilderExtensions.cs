using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Campaign.Outbox;

/// <summary>
/// Maps the outbox tables with MassTransit's table and column names, so a database written by this library
/// can be taken over by MassTransit's official EF Core package without a data migration.
/// </summary>
public static class OutboxModelBuilderExtensions
{
    /// <summary>Adds InboxState, OutboxState and OutboxMessage to the model.</summary>
    public static ModelBuilder AddTransactionalOutboxEntities(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.AddInboxStateEntity();
        modelBuilder.AddOutboxStateEntity();
        modelBuilder.AddOutboxMessageEntity();
        return modelBuilder;
    }

    public static ModelBuilder AddInboxStateEntity(this ModelBuilder modelBuilder, Action<EntityTypeBuilder<InboxState>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var inbox = modelBuilder.Entity<InboxState>();
        inbox.ToTable(nameof(InboxState));
        inbox.HasKey(p => p.Id);
        inbox.Property(p => p.Id).UseIdentityByDefaultColumn();
        inbox.HasAlternateKey(p => new { p.MessageId, p.ConsumerId });
        inbox.Property(p => p.RowVersion).IsConcurrencyToken();
        inbox.HasIndex(p => p.Delivered);
        configure?.Invoke(inbox);
        return modelBuilder;
    }

    public static ModelBuilder AddOutboxStateEntity(this ModelBuilder modelBuilder, Action<EntityTypeBuilder<OutboxState>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var outbox = modelBuilder.Entity<OutboxState>();
        outbox.ToTable(nameof(OutboxState));
        outbox.HasKey(p => p.OutboxId);
        outbox.Property(p => p.OutboxId).ValueGeneratedNever();
        outbox.Property(p => p.RowVersion).IsConcurrencyToken();
        outbox.Property(p => p.Created).HasDefaultValueSql("clock_timestamp()");
        outbox.HasIndex(p => p.Created);

        // Ours: defaulted in the database so writers that do not know these columns still insert rows.
        outbox.Property(p => p.DeliveryAttempts).HasDefaultValueSql("0").ValueGeneratedNever();
        outbox.Property(p => p.NextAttemptAt);
        outbox.Property(p => p.LastError);
        outbox.Property(p => p.Parked);
        outbox.Property(p => p.OrderingKey).HasMaxLength(OrderingKeyExtensions.MaxLength);
        outbox.HasIndex(p => new { p.OrderingKey, p.Created });
        configure?.Invoke(outbox);
        return modelBuilder;
    }

    public static ModelBuilder AddOutboxMessageEntity(this ModelBuilder modelBuilder, Action<EntityTypeBuilder<OutboxMessage>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var message = modelBuilder.Entity<OutboxMessage>();
        message.ToTable(nameof(OutboxMessage));
        message.HasKey(p => p.SequenceNumber);
        message.Property(p => p.SequenceNumber).UseIdentityByDefaultColumn();

        message.Property(p => p.SourceAddress).HasMaxLength(256);
        message.Property(p => p.DestinationAddress).HasMaxLength(256);
        message.Property(p => p.ResponseAddress).HasMaxLength(256);
        message.Property(p => p.FaultAddress).HasMaxLength(256);
        message.Property(p => p.ContentType).HasMaxLength(256);

        message.HasIndex(p => p.ExpirationTime);
        message.HasIndex(p => p.EnqueueTime);

        message.HasIndex(p => new { p.InboxMessageId, p.InboxConsumerId, p.SequenceNumber }).IsUnique();
        message.HasOne<InboxState>().WithMany().IsRequired(false)
            .HasForeignKey(p => new { p.InboxMessageId, p.InboxConsumerId })
            .HasPrincipalKey(p => new { p.MessageId, p.ConsumerId });

        message.HasIndex(p => new { p.OutboxId, p.SequenceNumber }).IsUnique();
        message.HasOne<OutboxState>().WithMany().IsRequired(false).HasForeignKey(p => p.OutboxId);
        configure?.Invoke(message);
        return modelBuilder;
    }
}
