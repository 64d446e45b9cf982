using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CampaignFinance.Data.Migrations
{
    /// <inheritdoc />
    public partial class LedgerAdjustmentsAndDonorCorrections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "NormalizedEmail",
                table: "Donors",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(254)",
                oldMaxLength: 254);

            migrationBuilder.AlterColumn<string>(
                name: "Email",
                table: "Donors",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(254)",
                oldMaxLength: 254);

            migrationBuilder.AddColumn<string>(
                name: "NormalizedName",
                table: "Donors",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            // Donors registered before: their names normalized as DonorForm.NormalizeName does (lower-case, letters and digits,
            // single spaces), so the possible-duplicate check finds them too.
            migrationBuilder.Sql("""
                UPDATE "Donors" SET "NormalizedName" =
                    btrim(regexp_replace(regexp_replace(lower("Name"), '[^[:alnum:][:space:]]', '', 'g'), '[[:space:]]+', ' ', 'g'));
                """);

            migrationBuilder.AddColumn<uint>(
                name: "xmin",
                table: "Donors",
                type: "xid",
                rowVersion: true,
                nullable: false,
                defaultValue: 0u);

            migrationBuilder.CreateTable(
                name: "ContributionAdjustments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ContributionId = table.Column<Guid>(type: "uuid", nullable: false),
                    DonorId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Amount = table.Column<decimal>(type: "numeric(12,2)", precision: 12, scale: 2, nullable: false),
                    EffectiveOn = table.Column<DateOnly>(type: "date", nullable: false),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContributionAdjustments", x => x.Id);
                    table.CheckConstraint("CK_ContributionAdjustments_Amount", "\"Amount\" > 0");
                    table.CheckConstraint("CK_ContributionAdjustments_Kind", "\"Kind\" IN ('refund', 'void')");
                    table.ForeignKey(
                        name: "FK_ContributionAdjustments_Contributions_ContributionId",
                        column: x => x.ContributionId,
                        principalTable: "Contributions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_ContributionAdjustments_Donors_DonorId",
                        column: x => x.DonorId,
                        principalTable: "Donors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Donors_NormalizedName_PostalCode",
                table: "Donors",
                columns: new[] { "NormalizedName", "PostalCode" });

            migrationBuilder.CreateIndex(
                name: "IX_Contributions_DonorId_ReceivedOn_RecordedAt",
                table: "Contributions",
                columns: new[] { "DonorId", "ReceivedOn", "RecordedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ContributionAdjustments_ContributionId",
                table: "ContributionAdjustments",
                column: "ContributionId");

            migrationBuilder.CreateIndex(
                name: "IX_ContributionAdjustments_DonorId",
                table: "ContributionAdjustments",
                column: "DonorId");

            migrationBuilder.CreateIndex(
                name: "IX_ContributionAdjustments_OneVoid",
                table: "ContributionAdjustments",
                column: "ContributionId",
                unique: true,
                filter: "\"Kind\" = 'void'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ContributionAdjustments");

            migrationBuilder.DropIndex(
                name: "IX_Donors_NormalizedName_PostalCode",
                table: "Donors");

            migrationBuilder.DropIndex(
                name: "IX_Contributions_DonorId_ReceivedOn_RecordedAt",
                table: "Contributions");

            migrationBuilder.DropColumn(
                name: "NormalizedName",
                table: "Donors");

            migrationBuilder.DropColumn(
                name: "xmin",
                table: "Donors");

            migrationBuilder.AlterColumn<string>(
                name: "NormalizedEmail",
                table: "Donors",
                type: "character varying(254)",
                maxLength: 254,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(254)",
                oldMaxLength: 254,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Email",
                table: "Donors",
                type: "character varying(254)",
                maxLength: 254,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(254)",
                oldMaxLength: 254,
                oldNullable: true);
        }
    }
}
