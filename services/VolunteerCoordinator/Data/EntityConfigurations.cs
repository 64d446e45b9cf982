using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VolunteerCoordinator.Features.ThankYouCalls;

namespace VolunteerCoordinator.Data;

sealed class VolunteerConfiguration : IEntityTypeConfiguration<Volunteer>
{
    public void Configure(EntityTypeBuilder<Volunteer> volunteer)
    {
        volunteer.ToTable(nameof(VolunteerCoordinatorDbContext.Volunteers));
        volunteer.HasKey(v => v.Id);
        volunteer.Property(v => v.Id).ValueGeneratedNever();
        volunteer.Property(v => v.Name).HasMaxLength(200);
        volunteer.Property(v => v.Email).HasMaxLength(254);
        volunteer.Property(v => v.NormalizedEmail).HasMaxLength(254);
        volunteer.Property(v => v.Phone).HasMaxLength(16);

        // The race-safe duplicate check: of two concurrent sign-ups with one address, the second insert fails.
        volunteer.HasIndex(v => v.NormalizedEmail).IsUnique();

        // text[] columns: "who can phone-bank" is an array containment query, served by a GIN index.
        volunteer.Property(v => v.Skills).HasColumnType("text[]");
        volunteer.Property(v => v.Availability).HasColumnType("text[]");
        volunteer.HasIndex(v => v.Skills).HasMethod("gin");
        volunteer.HasIndex(v => new { v.SignedUpAt, v.Id });

        // Written by the database only (the trigger in the OpenCallsPerVolunteer migration), never by EF.
        var openCalls = volunteer.Property(v => v.OpenCalls).HasDefaultValue(0).Metadata;
        openCalls.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
        openCalls.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);

        // The phone-banker to give the next call to: fewest open calls, then earliest sign-up.
        volunteer.HasIndex(v => new { v.OpenCalls, v.SignedUpAt, v.Id })
            .HasDatabaseName("IX_Volunteers_PhoneBankers_OpenCalls")
            .HasFilter($"\"Skills\" @> ARRAY['{VolunteerSkills.PhoneBanking}']::text[]");
    }
}

sealed class ThankYouCallConfiguration : IEntityTypeConfiguration<ThankYouCall>
{
    public void Configure(EntityTypeBuilder<ThankYouCall> call)
    {
        call.ToTable(nameof(VolunteerCoordinatorDbContext.ThankYouCalls), table =>
            table.HasCheckConstraint("CK_ThankYouCalls_CompletedByAVolunteer", "\"CompletedAt\" IS NULL OR \"VolunteerId\" IS NOT NULL"));
        call.HasKey(c => c.Id);
        call.Property(c => c.Id).ValueGeneratedNever();
        call.Property(c => c.DonorName).HasMaxLength(ThankYouCallLimits.DonorNameLength);
        call.Property(c => c.Notes).HasMaxLength(ThankYouCallLimits.NotesLength);
        call.Property(c => c.Version).IsRowVersion();
        call.Ignore(c => c.Status);

        // One call per donor, whatever the consumer is sent.
        call.HasIndex(c => c.DonorId).IsUnique();
        call.HasIndex(c => new { c.VolunteerId, c.CompletedAt });
        call.HasIndex(c => new { c.CreatedAt, c.Id });
        call.HasOne<Volunteer>().WithMany().HasForeignKey(c => c.VolunteerId).OnDelete(DeleteBehavior.Restrict);
    }
}

public static class ThankYouCallLimits
{
    public const int DonorNameLength = 200;
    public const int NotesLength = 1000;
}

sealed class ThankYouCallStateConfiguration : IEntityTypeConfiguration<ThankYouCallState>
{
    public void Configure(EntityTypeBuilder<ThankYouCallState> saga)
    {
        saga.ToTable("ThankYouCallSagas");
        saga.HasKey(s => s.CorrelationId);
        saga.Property(s => s.CorrelationId).ValueGeneratedNever();
        saga.Property(s => s.CurrentState).HasMaxLength(64);
        saga.Property(s => s.DonorName).HasMaxLength(ThankYouCallLimits.DonorNameLength);
        saga.Property(s => s.Version).IsRowVersion();
        saga.HasIndex(s => s.CurrentState);
    }
}
