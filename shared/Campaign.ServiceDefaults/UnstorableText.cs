using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Campaign.ServiceDefaults;

/// <summary>
/// PostgreSQL cannot store the NUL character (U+0000) in text: a request carrying one failed with 500 when its value reached
/// the database (SQLSTATE 22021). Refused at the edge instead: in JSON bodies (400 naming the field) and in query strings (400).
/// </summary>
static class UnstorableText
{
    public const string Message = "The value contains a NUL character (U+0000), which cannot be stored.";

    public static IServiceCollection RefuseNulCharacters(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new NulRefusingStringConverter()));

    /// <summary>400 problem details for a query string with a NUL character in a name or value.</summary>
    public static async Task RefuseNulInQuery(HttpContext context, Func<Task> next)
    {
        foreach (var (name, values) in context.Request.Query)
        {
            if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v is not null && v.Contains('\0', StringComparison.Ordinal)))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [name.Replace("\0", "\\0", StringComparison.Ordinal)] = [Message] })
                    {
                        Status = StatusCodes.Status400BadRequest,
                        Title = "One or more validation errors occurred.",
                    },
                });
                return;
            }
        }
        await next();
    }

    /// <summary>Reads strings as usual, but a NUL character makes the body invalid JSON for the endpoint (400 naming the field).</summary>
    sealed class NulRefusingStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(reader.GetString());

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(reader.GetString())!;

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WritePropertyName(value);

        static string? Checked(string? value) =>
            value is not null && value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(Message) : value;
    }
}
