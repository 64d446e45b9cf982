using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Campaign.Outbox.Sagas;

/// <summary>
/// Runs a saga's event against its instance in the consume scope's <typeparamref name="TDbContext"/>. Behind the inbox the
/// DbContext is already in the consume's transaction: the repository joins it (state, inbox row and outbox rows commit
/// together, or roll back together on a fault). Otherwise it opens a transaction of its own around the event.
/// </summary>
sealed class EntityFrameworkSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext dbContext,
    ISagaConsumeContextFactory<TDbContext, TSaga> consumeContextFactory,
    SagaRepositorySettings<TSaga> settings) : ISagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    public Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class =>
        WithinTransaction(() =>
        {
            var repository = new SagaRepositoryContext<TSaga, T, TDbContext>(dbContext, context, consumeContextFactory, settings.ConcurrencyMode);
            return next.Send(repository);
        }, context.CancellationToken);

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        WithinTransaction(async () =>
        {
            var repository = new SagaRepositoryContext<TSaga, T, TDbContext>(dbContext, context, consumeContextFactory, settings.ConcurrencyMode);
            var instances = await repository.LoadMatching(query);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repository, instances));
        }, context.CancellationToken);

    async Task WithinTransaction(Func<Task> send, CancellationToken cancellationToken)
    {
        if (dbContext.Database.CurrentTransaction is not null)
        {
            await send();
            return;
        }

        var strategy = dbContext.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await dbContext.Database.BeginTransactionAsync(settings.IsolationLevel, cancellationToken);
            try
            {
                await send();
                await transaction.CommitAsync(cancellationToken);
            }
            catch
            {
                // Rolled back on dispose; a retry must not meet what this attempt tracked.
                dbContext.ChangeTracker.Clear();
                throw;
            }
        });
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = context.CreateScope("sagaRepository");
        scope.Add("persistence", "Campaign.Outbox (EF Core, PostgreSQL)");
        scope.Add("concurrencyMode", settings.ConcurrencyMode.ToString());
    }
}
