using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace VolunteerCoordinator.Tests;

/// <summary>A response read once: status, content type and JSON body.</summary>
public sealed record Answer(HttpStatusCode Status, string? ContentType, JsonElement Body, string? Location)
{
    /// <summary>The field names of a validation problem's <c>errors</c>.</summary>
    public IReadOnlyList<string> ErrorFields =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("errors", out var errors)
            ? [.. errors.EnumerateObject().Select(e => e.Name)]
            : [];

    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.Location?.ToString());
    }
}

public static class HttpClientExtensions
{
    public static async Task<Answer> PostJsonAsync(this HttpClient client, string path, object? body)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsJsonAsync(path, body);
        return await Answer.ReadAsync(response);
    }

    public static async Task<Answer> PostRawAsync(this HttpClient client, string path, string json)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content);
        return await Answer.ReadAsync(response);
    }

    public static async Task<Answer> GetAnswerAsync(this HttpClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync(path);
        return await Answer.ReadAsync(response);
    }
}
