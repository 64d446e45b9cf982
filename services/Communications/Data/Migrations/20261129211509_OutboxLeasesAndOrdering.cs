using System;
using Campaign.Outbox;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Communications.Data.Migrations
{
    /// <inheritdoc />
    public partial class OutboxLeasesAndOrdering : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<DateTime>(
                name: "Created",
                table: "OutboxState",
                type: "timestamp with time zone",
                nullable: false,
                defaultValueSql: "clock_timestamp()",
                oldClrType: typeof(DateTime),
                oldType: "timestamp with time zone");

            migrationBuilder.AddColumn<string>(
                name: "OrderingKey",
                table: "OutboxState",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboxState_OrderingKey_Created",
                table: "OutboxState",
                columns: new[] { "OrderingKey", "Created" });

            // Relays are woken after the commit now: no business transaction takes PostgreSQL's commit-time NOTIFY lock.
            migrationBuilder.DropOutboxNotifyTrigger();

            // Units of work with an ordering key take their time at commit, under the key's lock.
            migrationBuilder.AddOutboxOrderingTrigger(TargetModel!);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropOutboxOrderingTrigger(TargetModel!);
            migrationBuilder.AddOutboxNotifyTrigger();

            migrationBuilder.DropIndex(
                name: "IX_OutboxState_OrderingKey_Created",
                table: "OutboxState");

            migrationBuilder.DropColumn(
                name: "OrderingKey",
                table: "OutboxState");

            migrationBuilder.AlterColumn<DateTime>(
                name: "Created",
                table: "OutboxState",
                type: "timestamp with time zone",
                nullable: false,
                oldClrType: typeof(DateTime),
                oldType: "timestamp with time zone",
                oldDefaultValueSql: "clock_timestamp()");
        }
    }
}
