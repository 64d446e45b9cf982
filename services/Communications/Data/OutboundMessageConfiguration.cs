using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Communications.Data;

sealed class OutboundMessageConfiguration : IEntityTypeConfiguration<OutboundMessage>
{
    public void Configure(EntityTypeBuilder<OutboundMessage> message)
    {
        message.ToTable(nameof(CommunicationsDbContext.OutboundMessages), table =>
        {
            table.HasCheckConstraint("CK_OutboundMessages_Status", "\"Status\" IN ('pending', 'sent', 'failed', 'awaiting-address', 'no-address')");
            table.HasCheckConstraint("CK_OutboundMessages_Attempts", "\"Attempts\" >= 0");
        });
        message.HasKey(m => m.Id);
        message.Property(m => m.Id).ValueGeneratedNever();
        message.Property(m => m.Kind).HasMaxLength(64);
        message.Property(m => m.SourceEventKey).HasMaxLength(128);
        message.Property(m => m.Recipient).HasMaxLength(320);
        message.Property(m => m.NormalizedRecipient).HasMaxLength(320);
        message.Property(m => m.Subject).HasMaxLength(200);
        message.Property(m => m.Status).HasMaxLength(16);
        message.Property(m => m.LastError).HasMaxLength(1000);

        // One mail of a kind per donor or volunteer, whichever events arrive and however often.
        message.HasIndex(m => new { m.Kind, m.SourceEventKey }).IsUnique();

        // What the sender claims: due pending messages, oldest first.
        message.HasIndex(m => m.NextAttemptAt).HasFilter("\"Status\" = 'pending'");

        message.HasIndex(m => m.NormalizedRecipient);
        message.HasIndex(m => m.CreatedAt);

        message.HasMany(m => m.SendAttempts).WithOne().HasForeignKey(a => a.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

sealed class SendAttemptConfiguration : IEntityTypeConfiguration<SendAttempt>
{
    public void Configure(EntityTypeBuilder<SendAttempt> attempt)
    {
        attempt.ToTable(nameof(CommunicationsDbContext.SendAttempts));
        attempt.HasKey(a => new { a.MessageId, a.AttemptNo });
        attempt.Property(a => a.AttemptNo).ValueGeneratedNever();
        attempt.Property(a => a.Outcome).HasMaxLength(16);
        attempt.Property(a => a.Error).HasMaxLength(1000);
    }
}
