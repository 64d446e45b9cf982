using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CampaignFinance.Data;

sealed class DonorConfiguration : IEntityTypeConfiguration<Donor>
{
    public void Configure(EntityTypeBuilder<Donor> donor)
    {
        donor.ToTable(nameof(FinanceDbContext.Donors));
        donor.HasKey(d => d.Id);
        donor.Property(d => d.Id).ValueGeneratedNever();
        donor.Property(d => d.Name).HasMaxLength(DonorLimits.NameLength);
        donor.Property(d => d.Email).HasMaxLength(DonorLimits.EmailLength);
        donor.Property(d => d.NormalizedEmail).HasMaxLength(DonorLimits.EmailLength);
        donor.Property(d => d.AddressLine1).HasMaxLength(DonorLimits.AddressLineLength);
        donor.Property(d => d.AddressLine2).HasMaxLength(DonorLimits.AddressLineLength);
        donor.Property(d => d.City).HasMaxLength(DonorLimits.CityLength);
        donor.Property(d => d.State).HasMaxLength(2);
        donor.Property(d => d.PostalCode).HasMaxLength(10);
        donor.Property(d => d.Employer).HasMaxLength(DonorLimits.EmployerLength);
        donor.Property(d => d.Occupation).HasMaxLength(DonorLimits.OccupationLength);

        donor.Property(d => d.NormalizedName).HasMaxLength(DonorLimits.NameLength);
        donor.Property(d => d.Version).IsRowVersion();

        // The race-safe duplicate check: of two concurrent registrations with one address, the second insert fails. Donors
        // without an address are many (NULLs are distinct in a unique index).
        donor.HasIndex(d => d.NormalizedEmail).IsUnique();

        // A donor without email is checked against others of the same name and ZIP before a second one is registered.
        donor.HasIndex(d => new { d.NormalizedName, d.PostalCode });
        donor.HasIndex(d => new { d.RegisteredAt, d.Id });
    }
}

sealed class ContributionConfiguration : IEntityTypeConfiguration<Contribution>
{
    public void Configure(EntityTypeBuilder<Contribution> contribution)
    {
        contribution.ToTable(nameof(FinanceDbContext.Contributions), table =>
        {
            table.HasCheckConstraint("CK_Contributions_Amount", "\"Amount\" > 0");
            table.HasCheckConstraint("CK_Contributions_Currency", "\"Currency\" ~ '^[A-Z]{3}$'");
            table.HasCheckConstraint("CK_Contributions_Method", "\"Method\" IN ('card', 'check', 'cash', 'wire')");
        });
        contribution.HasKey(c => c.Id);
        contribution.Property(c => c.Id).ValueGeneratedNever();
        contribution.Property(c => c.Amount).HasPrecision(12, 2);
        contribution.Property(c => c.Currency).HasMaxLength(3).IsFixedLength();
        contribution.Property(c => c.Method).HasMaxLength(8).HasConversion(
            method => method.ToString().ToLowerInvariant(),
            text => Enum.Parse<ContributionMethod>(text, ignoreCase: true));

        contribution.HasOne<Donor>().WithMany().HasForeignKey(c => c.DonorId).OnDelete(DeleteBehavior.Restrict);
        contribution.HasIndex(c => new { c.DonorId, c.ReceivedOn });

        // The itemization reports sum a calendar year's contributions per donor; the ledger lists the newest first.
        contribution.HasIndex(c => new { c.ReceivedOn, c.DonorId });
        contribution.HasIndex(c => new { c.DonorId, c.ReceivedOn, c.RecordedAt });
        contribution.HasMany(c => c.Adjustments).WithOne().HasForeignKey(a => a.ContributionId).OnDelete(DeleteBehavior.Restrict);
    }
}

sealed class ContributionAdjustmentConfiguration : IEntityTypeConfiguration<ContributionAdjustment>
{
    public void Configure(EntityTypeBuilder<ContributionAdjustment> adjustment)
    {
        adjustment.ToTable("ContributionAdjustments", table =>
        {
            table.HasCheckConstraint("CK_ContributionAdjustments_Amount", "\"Amount\" > 0");
            table.HasCheckConstraint("CK_ContributionAdjustments_Kind", "\"Kind\" IN ('refund', 'void')");
        });
        adjustment.HasKey(a => a.Id);
        adjustment.Property(a => a.Id).ValueGeneratedNever();
        adjustment.Property(a => a.Amount).HasPrecision(12, 2);
        adjustment.Property(a => a.Reason).HasMaxLength(AdjustmentLimits.ReasonLength);
        adjustment.Property(a => a.Kind).HasMaxLength(8).HasConversion(
            kind => kind.ToString().ToLowerInvariant(),
            text => Enum.Parse<AdjustmentKind>(text, ignoreCase: true));
        adjustment.HasOne<Donor>().WithMany().HasForeignKey(a => a.DonorId).OnDelete(DeleteBehavior.Restrict);
        adjustment.HasIndex(a => a.ContributionId);

        // At most one void per contribution, whatever two clerks do at once.
        adjustment.HasIndex(a => a.ContributionId, "IX_ContributionAdjustments_OneVoid").IsUnique()
            .HasFilter("\"Kind\" = 'void'");
    }
}

sealed class IdempotentRequestConfiguration : IEntityTypeConfiguration<IdempotentRequest>
{
    public void Configure(EntityTypeBuilder<IdempotentRequest> request)
    {
        request.ToTable(nameof(FinanceDbContext.IdempotentRequests));

        // The key is the primary key: of two concurrent requests with one key, the second insert fails and answers with the
        // first one's stored response.
        request.HasKey(r => r.Key);
        request.Property(r => r.Key).HasMaxLength(Idempotency.IdempotencyKey.MaxLength);
        request.Property(r => r.Endpoint).HasMaxLength(300);
        request.Property(r => r.RequestHash).HasMaxLength(64).IsFixedLength();
        request.Property(r => r.Location).HasMaxLength(300);
        request.HasIndex(r => r.CreatedAt);
    }
}

public static class DonorLimits
{
    public const int NameLength = 200;
    public const int EmailLength = 254;
    public const int AddressLineLength = 200;
    public const int CityLength = 100;
    public const int EmployerLength = 200;
    public const int OccupationLength = 200;
}

public static class AdjustmentLimits
{
    public const int ReasonLength = 500;
}
