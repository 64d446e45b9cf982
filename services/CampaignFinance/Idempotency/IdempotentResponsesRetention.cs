using Campaign.ServiceDefaults.Retention;
using CampaignFinance.Data;
using Microsoft.EntityFrameworkCore;

namespace CampaignFinance.Idempotency;

/// <summary>
/// Stored responses repeat a donor's name, address and email: they are kept only as long as a client may retry
/// (<c>Retention:Keep:IdempotentResponses</c>, default 3 days). A key sent again after that is a new request.
/// </summary>
public sealed class IdempotentResponsesRetention(FinanceDbContext db) : IRetentionPolicy
{
    public string Name => "IdempotentResponses";

    public TimeSpan DefaultKeep => TimeSpan.FromDays(3);

    public Task<int> PurgeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        db.IdempotentRequests.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
}
