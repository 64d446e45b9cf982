using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CampaignFinance;

/// <summary>
/// Request and response examples in the OpenAPI document for the finance desk's endpoints, by endpoint name: what a
/// client developer copies first. The ids are made up; the figures agree with each other.
/// </summary>
sealed class OpenApiExamples : IOpenApiOperationTransformer
{
    const string Contribution = """
        {"id":"0193a4f2-7c1e-7a10-9d5e-2f6b8c0d1e01","donorId":"0193a4f0-1b2c-7d3e-8f40-5a6b7c8d9e0f","amount":250.00,
         "currency":"USD","receivedOn":"2026-10-02","method":"check","recordedAt":"2026-10-03T14:30:00+00:00",
         "refunded":100.00,"net":150.00,"state":"partially-refunded",
         "adjustments":[{"id":"0193b1aa-0000-7000-8000-000000000001","kind":"refund","amount":100.00,"effectiveOn":"2026-10-20",
           "reason":"Donor asked to give 150 instead of 250","recordedAt":"2026-10-20T09:12:00+00:00"}]}
        """;

    static readonly Dictionary<string, (string? Request, string? Response)> Examples = new(StringComparer.Ordinal)
    {
        ["RegisterDonor"] = ("""
            {"name":"Pat O'Brien","address":{"line1":"9 Elm St","city":"Springfield","state":"IL","postalCode":"62701"},
             "employer":"Springfield Library","occupation":"Librarian"}
            """, null),
        ["CorrectDonor"] = ("""
            {"name":"Pat O'Brien-Lee","employer":null}
            """, """
            {"id":"0193a4f0-1b2c-7d3e-8f40-5a6b7c8d9e0f","name":"Pat O'Brien-Lee","email":null,
             "address":{"line1":"9 Elm St","line2":null,"city":"Springfield","state":"IL","postalCode":"62701"},
             "employer":null,"occupation":"Librarian","registeredAt":"2026-09-01T10:00:00+00:00","securedAt":"2026-10-03T14:30:00+00:00"}
            """),
        ["RefundContribution"] = ("""
            {"amount":100.00,"refundedOn":"2026-10-20","reason":"Donor asked to give 150 instead of 250"}
            """, Contribution),
        ["VoidContribution"] = ("""
            {"reason":"Entered twice from the same check"}
            """, null),
        ["GetContribution"] = (null, Contribution),
        ["ListContributions"] = (null, $$"""{"items":[{{Contribution}}],"page":1,"pageSize":20,"totalCount":1}"""),
        ["ListDonorContributions"] = (null, $$"""{"items":[{{Contribution}}],"page":1,"pageSize":20,"totalCount":1}"""),
        ["ScheduleA"] = (null, """
            {"period":"2026-q3","from":"2026-07-01","to":"2026-09-30","currency":"USD","threshold":200,
             "contributors":[{"donorId":"0193a4f0-1b2c-7d3e-8f40-5a6b7c8d9e0f","name":"Pat O'Brien",
               "address":{"line1":"9 Elm St","line2":null,"city":"Springfield","state":"IL","postalCode":"62701"},
               "employer":null,"occupation":"Librarian","yearToDate":275.00,
               "contributions":[{"contributionId":"0193a4f2-7c1e-7a10-9d5e-2f6b8c0d1e01","receivedOn":"2026-08-14","amount":125.00,"refunded":0.00}],
               "missing":["employer"]}]}
            """),
    };

    /// <summary>The CSV of the same Schedule A: one line per contribution.</summary>
    const string ScheduleACsv = """
        donorId,name,addressLine1,addressLine2,city,state,zip,employer,occupation,yearToDate,contributionId,receivedOn,amount,refunded,missing
        0193a4f0-1b2c-7d3e-8f40-5a6b7c8d9e0f,Pat O'Brien,9 Elm St,,Springfield,IL,62701,,Librarian,275.00,0193a4f2-7c1e-7a10-9d5e-2f6b8c0d1e01,2026-08-14,125.00,0.00,employer

        """;

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        if (name is null || !Examples.TryGetValue(name, out var example))
            return Task.CompletedTask;

        if (example.Request is not null && operation.RequestBody?.Content is { } requestContent)
        {
            foreach (var media in requestContent.Values)
                media.Example = JsonNode.Parse(example.Request);
        }
        if (operation.Responses is not { } responses)
            return Task.CompletedTask;
        // Schedule A also answers CSV (Accept: text/csv); ASP.NET describes one content type per status, so it is added here.
        if (name == "ScheduleA" && responses.TryGetValue("200", out var ok) && ok.Content is { } okContent)
            okContent[Features.Reports.ScheduleA.CsvMediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        foreach (var (status, response) in responses)
        {
            if (!status.StartsWith('2') || response.Content is not { } content)
                continue;
            foreach (var (mediaType, media) in content)
            {
                if (mediaType == Features.Reports.ScheduleA.CsvMediaType)
                    media.Example = JsonValue.Create(ScheduleACsv);
                else if (example.Response is not null)
                    media.Example = JsonNode.Parse(example.Response);
            }
        }
        return Task.CompletedTask;
    }
}
