using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Campaign.Outbox.Sagas;

/// <summary>One event's view of the saga's instances in the DbContext: load (locked or not), add, update, delete.</summary>
sealed class SagaRepositoryContext<TSaga, TMessage, TDbContext> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
    where TDbContext : DbContext
{
    readonly TDbContext _dbContext;
    readonly ConsumeContext<TMessage> _consumeContext;
    readonly ISagaConsumeContextFactory<TDbContext, TSaga> _factory;
    readonly ConcurrencyMode _concurrencyMode;
    string? _lockStatement;

    public SagaRepositoryContext(TDbContext dbContext, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<TDbContext, TSaga> factory, ConcurrencyMode concurrencyMode)
        : base(consumeContext, dbContext)
    {
        _dbContext = dbContext;
        _consumeContext = consumeContext;
        _factory = factory;
        _concurrencyMode = concurrencyMode;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Add);

    /// <summary>
    /// Inserts a new instance at once (a state machine's InsertOnInitial). When another event inserted it first, null: the
    /// caller loads that one. Inside a transaction EF saves behind a savepoint, so only this insert is undone.
    /// </summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>?> Insert(TSaga instance)
    {
        var entry = _dbContext.Set<TSaga>().Add(instance);
        try
        {
            await _dbContext.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            entry.State = EntityState.Detached;
            return null;
        }
        return await _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Load(Guid correlationId)
    {
        var instance = _concurrencyMode == ConcurrencyMode.Pessimistic
            ? (await LockAsync([correlationId])).SingleOrDefault()
            : await _dbContext.Set<TSaga>().AsTracking().SingleOrDefaultAsync(x => x.CorrelationId == correlationId, CancellationToken);
        return instance is null
            ? null
            : await _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Load);
    }

    /// <summary>The instances a query-correlated event matches, each locked when pessimistic.</summary>
    public async Task<IReadOnlyList<TSaga>> LoadMatching(ISagaQuery<TSaga> query)
    {
        if (_concurrencyMode == ConcurrencyMode.Optimistic)
            return await _dbContext.Set<TSaga>().AsTracking().Where(query.FilterExpression).ToListAsync(CancellationToken);

        var ids = await _dbContext.Set<TSaga>().AsNoTracking().Where(query.FilterExpression).Select(x => x.CorrelationId).ToArrayAsync(CancellationToken);
        var filter = query.GetFilter();
        return [.. (await LockAsync(ids)).Where(filter)]; // still matching once locked
    }

    public async Task Save(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _dbContext.Set<TSaga>().Add(context.Saga);
        await _dbContext.SaveChangesAsync(CancellationToken);
    }

    public Task Update(SagaConsumeContext<TSaga> context) => _dbContext.SaveChangesAsync(CancellationToken);

    public async Task Delete(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _dbContext.Set<TSaga>().Remove(context.Saga);
        await _dbContext.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var entry = _dbContext.ChangeTracker.Entries<TSaga>().FirstOrDefault(e => e.Entity.CorrelationId == context.Saga.CorrelationId);
        if (entry is not null)
            entry.State = EntityState.Unchanged;
        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_dbContext, context, instance, mode);

    /// <summary>
    /// Reads and locks instances (<c>SELECT ... FOR UPDATE</c>, with the model's table and column names), in id order: two
    /// events locking the same instances cannot deadlock.
    /// </summary>
    async Task<List<TSaga>> LockAsync(Guid[] correlationIds)
    {
        if (_lockStatement is null)
        {
            var table = OutboxTable.For(_dbContext.Model, typeof(TSaga), typeof(TDbContext).Name);
            var id = table[nameof(ISaga.CorrelationId)];
            _lockStatement = $"SELECT {string.Join(", ", table.Columns)} FROM {table} WHERE {id} = ANY({{0}}) ORDER BY {id} FOR UPDATE";
        }
        return await _dbContext.Set<TSaga>().FromSqlRaw(_lockStatement, correlationIds).AsTracking().ToListAsync(CancellationToken);
    }
}
