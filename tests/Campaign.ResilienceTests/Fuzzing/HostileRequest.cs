using System.Net.Http.Headers;
using System.Text;

namespace Campaign.ResilienceTests.Fuzzing;

/// <summary>
/// One request that must be refused: an endpoint, what is wrong with it (<see cref="Kind"/>), and the raw request. The body is
/// kept as bytes so that malformed JSON and invalid UTF-8 reach the server exactly as generated.
/// </summary>
public sealed record HostileRequest(string Endpoint, string Kind, HttpMethod Method, string Path, byte[]? Body, string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (name, value) in Headers)
            message.Headers.TryAddWithoutValidation(name, value);
        return message;
    }

    /// <summary>Enough to reproduce the request by hand: method, path, kind, and the start of the body.</summary>
    public override string ToString()
    {
        var body = Body is null ? "" : Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 160)).ReplaceLineEndings(" ");
        var size = Body is { Length: > 160 } ? $" … ({Body.Length} bytes)" : "";
        var headers = Headers.Count == 0 ? "" : " " + string.Join(" ", Headers.Select(h => $"{h.Key}: {Truncate(h.Value)}"));
        return $"{Method} {Truncate(Path)} [{Kind}]{headers} {body}{size}";
    }

    static string Truncate(string text) => text.Length <= 120 ? text : text[..120] + $"… ({text.Length} chars)";
}
