using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Campaign.ServiceDefaults;

/// <summary>
/// A database that is down, restarting or out of connections is the service's dependency failing, not the request: reads are
/// tried again a few times, and what still fails answers 503 with <c>Retry-After</c>, never a 500. A write is not retried here:
/// its transaction rolled back whole, and the client retries it (with its Idempotency-Key where the endpoint takes one).
/// </summary>
public static partial class DependencyUnavailable
{
    /// <summary>Seconds a client should wait before trying again: about what a PostgreSQL restart takes.</summary>
    public const int RetryAfterSeconds = 2;

    internal const string ReadRetryPipeline = "campaign-read-retry";

    /// <summary>
    /// True when <paramref name="exception"/> (or one it wraps) says the database could not be reached or could not serve the
    /// command for a reason that passes: a broken or refused connection, a server starting or shutting down, too many
    /// connections, a timeout. Not bad SQL, a constraint or bad credentials.
    /// </summary>
    public static bool IsTransient(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is NpgsqlException npgsql)
                return npgsql.IsTransient || npgsql is PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" };
        }
        return false;
    }

    internal static IServiceCollection AddDependencyUnavailable(this IServiceCollection services)
    {
        services.AddExceptionHandler<Handler>();

        // Three more tries over about 1.4 s: enough for a broken pooled connection to be replaced, and for most of a restart.
        services.AddResiliencePipeline(ReadRetryPipeline, (pipeline, context) =>
        {
            var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DependencyUnavailable));
            pipeline.AddRetry(new RetryStrategyOptions
            {
                // Not once the response has started: the endpoint cannot run again into it.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not ResponseStartedException && IsTransient(e)),
                MaxRetryAttempts = 3,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = retry =>
                {
                    LogReadRetried(logger, retry.AttemptNumber + 1, retry.Outcome.Exception?.GetBaseException().Message);
                    return ValueTask.CompletedTask;
                },
            });
        });
        return services;
    }

    /// <summary>GET and HEAD requests run again when the database fails them transiently (they change nothing).</summary>
    internal static IApplicationBuilder UseReadRetries(this IApplicationBuilder app)
    {
        var pipeline = app.ApplicationServices.GetRequiredService<Polly.Registry.ResiliencePipelineProvider<string>>()
            .GetPipeline(ReadRetryPipeline);
        return app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                await next(context);
                return;
            }

            // A response that has started cannot be taken back: such a failure goes on to the exception handler as it is.
            await pipeline.ExecuteAsync(async (http, _) =>
            {
                try
                {
                    await next(http);
                }
                catch (Exception exception) when (IsTransient(exception) && http.Response.HasStarted)
                {
                    throw new ResponseStartedException(exception);
                }
            }, context, context.RequestAborted);
        });
    }

    /// <summary>A transient failure after the response had started: not retried.</summary>
    sealed class ResponseStartedException(Exception inner) : Exception("The response had started when the database failed.", inner);

    [LoggerMessage(LogLevel.Warning, "A read failed on a database that is not available ({Reason}); trying again (attempt {Attempt}).")]
    static partial void LogReadRetried(ILogger logger, int attempt, string? reason);

    [LoggerMessage(LogLevel.Warning, "The database is not available ({Reason}): answered 503.")]
    static partial void LogUnavailable(ILogger logger, string reason);

    sealed class Handler(IProblemDetailsService problemDetails, ILogger<Handler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (!IsTransient(exception))
                return false;

            LogUnavailable(logger, exception.GetBaseException().Message);
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return await problemDetails.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Type = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
                    Title = "The service is temporarily unavailable.",
                    Detail = $"Its database could not be reached. Try again in {RetryAfterSeconds} s; a write sent again with the same "
                        + "Idempotency-Key takes effect once.",
                },
            });
        }
    }
}
