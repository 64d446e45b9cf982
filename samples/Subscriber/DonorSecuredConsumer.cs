using Campaign.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Subscriber;

/// <summary>
/// What a subscribing team does with a newly secured donor; here it only counts and says so. MassTransit delivers each event
/// at least once: a consumer with effects keeps them idempotent (by <see cref="DonorSecured.DonorId"/>) or runs behind an inbox.
/// </summary>
public sealed partial class DonorSecuredConsumer(ILogger<DonorSecuredConsumer> logger) : IConsumer<DonorSecured>
{
    public Task Consume(ConsumeContext<DonorSecured> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Ids only: names and addresses are personal data and stay out of logs.
        LogSecured(logger, context.Message.DonorId, context.Message.Amount, context.Message.Currency);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "DonorSecured consumed: donor {DonorId}, first gift {Amount} {Currency}.")]
    static partial void LogSecured(ILogger logger, Guid donorId, decimal amount, string currency);
}
