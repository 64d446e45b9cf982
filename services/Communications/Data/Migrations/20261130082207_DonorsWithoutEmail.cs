using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Communications.Data.Migrations
{
    /// <inheritdoc />
    public partial class DonorsWithoutEmail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_OutboundMessages_Status",
                table: "OutboundMessages");

            migrationBuilder.AddCheckConstraint(
                name: "CK_OutboundMessages_Status",
                table: "OutboundMessages",
                sql: "\"Status\" IN ('pending', 'sent', 'failed', 'awaiting-address', 'no-address')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_OutboundMessages_Status",
                table: "OutboundMessages");

            migrationBuilder.AddCheckConstraint(
                name: "CK_OutboundMessages_Status",
                table: "OutboundMessages",
                sql: "\"Status\" IN ('pending', 'sent', 'failed', 'awaiting-address')");
        }
    }
}
