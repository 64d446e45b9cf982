using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace Campaign.Testing;

/// <summary>A search body from filters written like a query string (<c>name=alex&amp;page=2</c>): the paging fields as numbers.</summary>
public static class SearchBody
{
    static readonly string[] Numbers = ["page", "pageSize"];

    public static Dictionary<string, object> From(string query) =>
        QueryHelpers.ParseQuery(query).ToDictionary(
            pair => pair.Key,
            pair => Numbers.Contains(pair.Key) ? int.Parse(pair.Value.ToString(), CultureInfo.InvariantCulture) : (object)pair.Value.ToString());
}
