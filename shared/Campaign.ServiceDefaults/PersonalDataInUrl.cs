using Microsoft.AspNetCore.Http;

namespace Campaign.ServiceDefaults;

/// <summary>
/// Look-ups by name or email address take their values in a POST body: URLs end up in proxies' and servers' access logs and
/// in browser histories. A GET that still carries them is refused, naming the endpoint to use, instead of silently ignored.
/// </summary>
public static class PersonalDataInUrl
{
    /// <summary>A 400 naming <paramref name="searchPath"/> when the query string holds one of <paramref name="parameters"/>; otherwise null.</summary>
    public static IResult? Refuse(HttpRequest request, string searchPath, params string[] parameters)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parameters);
        var found = parameters.Where(request.Query.ContainsKey).ToList();
        if (found.Count == 0)
            return null;
        return TypedResults.ValidationProblem(
            found.ToDictionary(p => p, _ => new[] { $"Personal data stays out of URLs: send it in the body of POST {searchPath}." }),
            title: "Search with POST, not in the query string.");
    }
}
