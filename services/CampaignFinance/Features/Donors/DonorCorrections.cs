using System.Text.Json;
using Campaign.Contracts;
using Campaign.Outbox;
using CampaignFinance.Data;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CampaignFinance.Features.Donors;

/// <summary>
/// Corrections of a donor's record by the finance desk: a JSON merge patch guarded by the donor's version (ETag /
/// If-Match), so two clerks never overwrite each other's correction unseen.
/// </summary>
public static partial class DonorCorrections
{
    static readonly string[] Correctable = ["name", "address", "employer", "occupation"];

    /// <summary>The donor's version (PostgreSQL's row version) as a strong entity tag.</summary>
    public static string ETagOf(Donor donor)
    {
        ArgumentNullException.ThrowIfNull(donor);
        return $"\"{donor.Version}\"";
    }

    public static async Task<Results<Ok<DonorResponse>, NotFound, ValidationProblem, ProblemHttpResult>> Correct(
        Guid id, HttpRequest http, FinanceDbContext db, IPublishEndpoint publishEndpoint, TimeProvider clock, ILoggerFactory loggers,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        if (ReadIfMatch(http) is not { } expected)
            return PreconditionRequired();

        var (patch, errors) = await ReadPatchAsync(http, json.Value.SerializerOptions, cancellationToken);
        if (patch is null)
            return TypedResults.ValidationProblem(errors);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked, so the version compared is the one the update replaces.
        var donor = await db.Donors
            .FromSql($"""SELECT *, xmin FROM "Donors" WHERE "Id" = {id} FOR UPDATE""")
            .SingleOrDefaultAsync(cancellationToken);
        if (donor is null)
            return TypedResults.NotFound();
        if (ETagOf(donor) != expected)
            return PreconditionFailed();

        var changed = Apply(patch, donor);
        if (changed.Count > 0)
        {
            await publishEndpoint.Publish(new DonorUpdated(donor.Id, donor.Name, changed, clock.GetUtcNow().ToMicroseconds()),
                c => c.SetOrderingKey(donor.Id.ToString()), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        if (changed.Count > 0)
        {
            // The new row version is only known after the commit.
            await db.Entry(donor).ReloadAsync(cancellationToken);
            LogCorrected(loggers.CreateLogger(typeof(DonorCorrections).FullName!), donor.Id, string.Join(", ", changed));
        }
        http.HttpContext.Response.Headers.ETag = ETagOf(donor);
        return TypedResults.Ok(DonorResponse.From(donor));
    }

    /// <summary>The entity tag of <c>If-Match</c>, or null when there is none to compare (absent, <c>*</c>, weak or malformed).</summary>
    static string? ReadIfMatch(HttpRequest http)
    {
        if (!EntityTagHeaderValue.TryParseList(http.Headers.IfMatch, out var tags) || tags.Count != 1)
            return null;
        var tag = tags[0];
        return tag.IsWeak || tag.Equals(EntityTagHeaderValue.Any) ? null : tag.Tag.Value;
    }

    /// <summary>The fields present in the patch, validated by the registration's rules; errors keyed like the JSON.</summary>
    /// <remarks>Read with the app's JSON options, whose converters refuse what the database cannot store (NUL characters).</remarks>
    static async Task<(DonorPatch? Patch, Dictionary<string, string[]> Errors)> ReadPatchAsync(HttpRequest http, JsonSerializerOptions options,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            errors["$"] = ["The body must be a JSON object (a merge patch)."];
            return (null, errors);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["$"] = ["The body must be a JSON object (a merge patch)."];
                return (null, errors);
            }

            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!Correctable.Contains(property.Name))
                    errors[property.Name] = [$"'{property.Name}' cannot be corrected here; the fields are: {string.Join(", ", Correctable)}."];
                else
                    present.Add(property.Name);
            }
            if (present.Count == 0 && errors.Count == 0)
                errors["$"] = [$"Nothing to correct: give at least one of {string.Join(", ", Correctable)}."];

            CorrectDonorRequest? request = null;
            try
            {
                request = document.RootElement.Deserialize<CorrectDonorRequest>(options);
            }
            catch (JsonException exception)
            {
                errors[exception.Path ?? "$"] = ["The value has the wrong type."];
            }
            if (request is null || errors.Count > 0)
                return (null, errors);

            var name = present.Contains("name") ? DonorForm.ReadName(request.Name, errors) : null;
            var address = present.Contains("address") ? DonorForm.ReadAddress(request.Address, errors) : null;
            var employer = DonorForm.Optional(request.Employer, "employer", DonorLimits.EmployerLength, errors);
            var occupation = DonorForm.Optional(request.Occupation, "occupation", DonorLimits.OccupationLength, errors);
            if (errors.Count > 0)
                return (null, errors);

            return (new DonorPatch(present, name, address, employer, occupation), errors);
        }
    }

    /// <summary>Sets what the patch carries; the JSON names of the fields whose value changed.</summary>
    static List<string> Apply(DonorPatch patch, Donor donor)
    {
        var changed = new List<string>();
        if (patch.Present.Contains("name") && patch.Name is { } name && name != donor.Name)
        {
            donor.Name = name;
            donor.NormalizedName = DonorForm.NormalizeName(name);
            changed.Add("name");
        }
        if (patch.Present.Contains("address") && patch.Address != PostalAddress.From(donor))
        {
            var address = patch.Address;
            (donor.AddressLine1, donor.AddressLine2, donor.City, donor.State, donor.PostalCode) =
                (address?.Line1, address?.Line2, address?.City, address?.State, address?.PostalCode);
            changed.Add("address");
        }
        if (patch.Present.Contains("employer") && patch.Employer != donor.Employer)
        {
            donor.Employer = patch.Employer;
            changed.Add("employer");
        }
        if (patch.Present.Contains("occupation") && patch.Occupation != donor.Occupation)
        {
            donor.Occupation = patch.Occupation;
            changed.Add("occupation");
        }
        return changed;
    }

    /// <summary>A validated patch: the fields present (absent ones stay as they are) and their values, null meaning "remove".</summary>
    sealed record DonorPatch(HashSet<string> Present, string? Name, PostalAddress? Address, string? Employer, string? Occupation);

    static ProblemHttpResult PreconditionRequired() => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status428PreconditionRequired,
        Type = "https://tools.ietf.org/html/rfc6585#section-3",
        Title = "A correction must say which version of the donor it corrects.",
        Detail = "Send If-Match with the ETag of GET /donors/{id} (one strong entity tag).",
    });

    static ProblemHttpResult PreconditionFailed() => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status412PreconditionFailed,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.4.13",
        Title = "The donor changed since it was read.",
        Detail = "Someone else corrected the donor (or recorded a contribution). Read it again (GET /donors/{id}) and correct that version.",
    });

    [LoggerMessage(LogLevel.Information, "Donor {DonorId} corrected ({Fields}).")]
    static partial void LogCorrected(ILogger logger, Guid donorId, string fields);
}
