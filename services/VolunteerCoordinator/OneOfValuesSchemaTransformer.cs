using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace VolunteerCoordinator;

/// <summary>Lists the allowed values of a <see cref="OneOfValuesAttribute"/> list as its items' <c>enum</c>.</summary>
sealed class OneOfValuesSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var allowed = context.JsonPropertyInfo?.AttributeProvider?
            .GetCustomAttributes(typeof(OneOfValuesAttribute), inherit: false)
            .OfType<OneOfValuesAttribute>()
            .FirstOrDefault();
        if (allowed is not null)
        {
            schema.Items = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [.. allowed.Values.Select(value => (JsonNode)JsonValue.Create(value))],
            };
        }
        return Task.CompletedTask;
    }
}
