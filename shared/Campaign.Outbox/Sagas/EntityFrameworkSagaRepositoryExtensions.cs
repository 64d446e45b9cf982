using System.Data;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Campaign.Outbox.Sagas;

/// <summary>Registration in MassTransit's idiom: <c>AddSagaStateMachine&lt;TMachine, TState&gt;().EntityFrameworkRepository(r =&gt; ...)</c>.</summary>
public static class EntityFrameworkSagaRepositoryExtensions
{
    /// <summary>
    /// Stores the saga's instances in a DbContext of the service (<c>r.ExistingDbContext&lt;TDbContext&gt;()</c>), whose
    /// model maps <typeparamref name="TSaga"/>. Behind the inbox (<c>UseEntityFrameworkOutbox</c> on the endpoint) the
    /// saga's state, the inbox row and what the saga publishes or schedules commit in one transaction; elsewhere the
    /// repository opens its own.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator,
        Action<IEntityFrameworkSagaRepositoryConfigurator<TSaga>> configure)
        where TSaga : class, ISaga
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(configure);
        var repository = new EntityFrameworkSagaRepositoryConfigurator<TSaga>();
        configure(repository);
        var register = repository.Registration
            ?? throw new InvalidOperationException($"The saga repository of {typeof(TSaga).Name} needs its DbContext: call ExistingDbContext<TDbContext>().");
        return configurator.Repository(register);
    }
}

/// <summary>Configures a saga's EF Core repository, with the names of MassTransit's own.</summary>
public interface IEntityFrameworkSagaRepositoryConfigurator<TSaga>
    where TSaga : class, ISaga
{
    /// <summary>
    /// Optimistic (the default here): instances are read without a lock and saved against their concurrency token (map
    /// PostgreSQL's <c>xmin</c> with <c>IsRowVersion()</c>); a conflict fails the consume, and the endpoint's retry runs it
    /// again on the new state. Pessimistic: the instance is read <c>FOR UPDATE</c>, so events for it wait their turn.
    /// </summary>
    ConcurrencyMode ConcurrencyMode { get; set; }

    /// <summary>For the repository's own transaction (outside the inbox, whose isolation level applies there).</summary>
    IsolationLevel IsolationLevel { get; set; }

    /// <summary>The service's DbContext, resolved in the consume's scope: the same one the inbox and outbox write to.</summary>
    void ExistingDbContext<TDbContext>()
        where TDbContext : DbContext;

    /// <summary>PostgreSQL is the only database supported; the call keeps MassTransit's idiom.</summary>
    void UsePostgres();
}

sealed class EntityFrameworkSagaRepositoryConfigurator<TSaga> : IEntityFrameworkSagaRepositoryConfigurator<TSaga>
    where TSaga : class, ISaga
{
    public ConcurrencyMode ConcurrencyMode { get; set; } = ConcurrencyMode.Optimistic;
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadCommitted;

    /// <summary>What registers the repository, once the DbContext is known.</summary>
    public Action<ISagaRepositoryRegistrationConfigurator<TSaga>>? Registration { get; private set; }

    public void ExistingDbContext<TDbContext>()
        where TDbContext : DbContext =>
        Registration = services =>
        {
            services.TryAddSingleton(new SagaRepositorySettings<TSaga>(ConcurrencyMode, IsolationLevel));
            services.RegisterSagaRepository<TSaga, TDbContext, SagaConsumeContextFactory<TDbContext, TSaga>,
                EntityFrameworkSagaRepositoryContextFactory<TSaga, TDbContext>>();
        };

    public void UsePostgres()
    {
    }
}

/// <summary>How one saga type's repository locks and isolates.</summary>
sealed record SagaRepositorySettings<TSaga>(ConcurrencyMode ConcurrencyMode, IsolationLevel IsolationLevel)
    where TSaga : class, ISaga;
