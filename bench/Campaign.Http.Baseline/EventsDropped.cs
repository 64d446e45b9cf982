using MassTransit;

namespace Campaign.Http.Baseline;

/// <summary>The baseline's publish endpoint: every event is dropped, so the request pays nothing for messaging.</summary>
sealed class EventsDropped : IPublishEndpoint
{
    public ConnectHandle ConnectPublishObserver(IPublishObserver observer) => new Nothing();

    public Task Publish<T>(T message, CancellationToken cancellationToken = default) where T : class => Task.CompletedTask;

    public Task Publish<T>(T message, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class =>
        Task.CompletedTask;

    public Task Publish<T>(T message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class =>
        Task.CompletedTask;

    public Task Publish(object message, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task Publish(object message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task Publish(object message, Type messageType, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task Publish(object message, Type messageType, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;

    public Task Publish<T>(object values, CancellationToken cancellationToken = default) where T : class => Task.CompletedTask;

    public Task Publish<T>(object values, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class =>
        Task.CompletedTask;

    public Task Publish<T>(object values, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class =>
        Task.CompletedTask;

    sealed class Nothing : ConnectHandle
    {
        public void Disconnect()
        {
        }

        public void Dispose()
        {
        }
    }
}
