using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VolunteerCoordinator.Data.Migrations
{
    /// <inheritdoc />
    public partial class OpenCallsPerVolunteer : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "OpenCalls",
                table: "Volunteers",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // The count of assigned, uncompleted calls, kept by the database for every writer (the DonorSecured consumer, the
            // assign and complete endpoints, an operator's fix): an insert, an update of the volunteer or completion, a delete.
            migrationBuilder.Sql("""
                CREATE FUNCTION volunteer_open_calls() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND OLD."VolunteerId" IS NOT DISTINCT FROM NEW."VolunteerId"
                        AND (OLD."CompletedAt" IS NULL) = (NEW."CompletedAt" IS NULL) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."VolunteerId" IS NOT NULL AND OLD."CompletedAt" IS NULL THEN
                        UPDATE "Volunteers" SET "OpenCalls" = "OpenCalls" - 1 WHERE "Id" = OLD."VolunteerId";
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW."VolunteerId" IS NOT NULL AND NEW."CompletedAt" IS NULL THEN
                        UPDATE "Volunteers" SET "OpenCalls" = "OpenCalls" + 1 WHERE "Id" = NEW."VolunteerId";
                    END IF;
                    RETURN NULL;
                END $$;

                CREATE TRIGGER "ThankYouCalls_OpenCalls"
                    AFTER INSERT OR UPDATE OF "VolunteerId", "CompletedAt" OR DELETE ON "ThankYouCalls"
                    FOR EACH ROW EXECUTE FUNCTION volunteer_open_calls();

                UPDATE "Volunteers" AS v SET "OpenCalls" = open.count
                FROM (SELECT "VolunteerId", count(*) AS count FROM "ThankYouCalls"
                      WHERE "VolunteerId" IS NOT NULL AND "CompletedAt" IS NULL GROUP BY "VolunteerId") AS open
                WHERE v."Id" = open."VolunteerId";
                """);

            migrationBuilder.CreateIndex(
                name: "IX_Volunteers_PhoneBankers_OpenCalls",
                table: "Volunteers",
                columns: new[] { "OpenCalls", "SignedUpAt", "Id" },
                filter: "\"Skills\" @> ARRAY['phone-banking']::text[]");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "ThankYouCalls_OpenCalls" ON "ThankYouCalls";
                DROP FUNCTION volunteer_open_calls();
                """);

            migrationBuilder.DropIndex(
                name: "IX_Volunteers_PhoneBankers_OpenCalls",
                table: "Volunteers");

            migrationBuilder.DropColumn(
                name: "OpenCalls",
                table: "Volunteers");
        }
    }
}
