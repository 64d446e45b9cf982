using Microsoft.EntityFrameworkCore;

namespace Campaign.ServiceDefaults;

/// <summary>
/// The page of a list, with the rules every list of every service shares: pages from 1, 20 items by default, at most 100.
/// Errors are keyed <c>page</c> and <c>pageSize</c>, like the query parameters.
/// </summary>
public readonly record struct Paging(int Page, int PageSize)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>The last page whose offset ((page - 1) * pageSize) fits an int at any page size: beyond it the offset overflowed (500).</summary>
    public const int MaxPage = int.MaxValue / MaxPageSize;

    /// <summary>The page asked for, or the first; adds an error per bad value.</summary>
    public static Paging Read(int? page, int? pageSize, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (page is < 1 or > MaxPage)
            errors["page"] = [$"The page must be between 1 and {MaxPage}."];
        if (pageSize is < 1 or > MaxPageSize)
            errors["pageSize"] = [$"The page size must be between 1 and {MaxPageSize}."];
        return new Paging(page is >= 1 and <= MaxPage ? page.Value : 1,
            pageSize is >= 1 and <= MaxPageSize ? pageSize.Value : DefaultPageSize);
    }

    /// <summary>The page's items of an ordered query, and how many the whole query has.</summary>
    public async Task<(List<T> Items, int TotalCount)> ReadAsync<T>(IQueryable<T> ordered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        var total = await ordered.CountAsync(cancellationToken);
        var items = await ordered.Skip((Page - 1) * PageSize).Take(PageSize).ToListAsync(cancellationToken);
        return (items, total);
    }
}
