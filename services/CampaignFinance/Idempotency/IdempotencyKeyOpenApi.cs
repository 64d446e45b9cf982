using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CampaignFinance.Idempotency;

public static class IdempotencyKeyOpenApi
{
    /// <summary>
    /// Documents the optional <c>Idempotency-Key</c> header in the OpenAPI document. The handler reads the raw header (not a
    /// bound parameter) so that an empty or repeated header is refused instead of being read as no key or as one joined key.
    /// </summary>
    public static RouteHandlerBuilder AcceptsIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyKey.HeaderName,
                In = ParameterLocation.Header,
                Required = false,
                Description = "Optional, 1 to 100 printable ASCII characters. A retry with the same key and body answers the first "
                    + "(successful) response again, marked Idempotent-Replayed: true, and changes nothing; the same key with "
                    + "another request answers 422.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyKey.MaxLength },
            });
            return Task.CompletedTask;
        });
}
