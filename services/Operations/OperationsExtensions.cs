using System.ComponentModel.DataAnnotations;
using Campaign.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Operations;

/// <summary>One service as the page shows it: its outbox, and its queues on the broker (named after it).</summary>
public sealed record ServiceCard(string Name, ServiceOutbox Outbox, IReadOnlyList<QueueFigures> Queues, IReadOnlyList<QueueFigures> ErrorQueues);

/// <summary>Everything on the page: one card per service, and the broker's state if it could not be read.</summary>
public sealed record Overview(string Operator, DateTimeOffset At, IReadOnlyList<ServiceCard> Services, string? BrokerProblem);

public static class OperationsExtensions
{
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<OperationsOptions>(builder.Configuration.GetSection(OperationsOptions.Section));
        builder.Services.Configure<RequiredSettings>(s => s.Keys.AddRange(
            [BrokerQueues.AmqpKey, $"{OperationsOptions.Section}:RabbitMq:ManagementUrl", $"{OperationsOptions.Section}:RabbitMq:User", $"{OperationsOptions.Section}:RabbitMq:Password"]));
        builder.AddOperatorSignIn();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddHttpClient<ServiceOutboxes>(http => http.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddHttpClient<BrokerQueues>(http => http.Timeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStaticFiles();

        // The page itself: a visit without a session goes to the identity provider's sign-in.
        app.MapGet("/", () => TypedResults.PhysicalFile(Path.Combine(app.Environment.WebRootPath, "operations.html"), "text/html; charset=utf-8"))
            .RequireAuthorization(OperatorSignIn.Policy);

        app.MapGet("/signout", async (HttpContext http) =>
        {
            await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.SignOutAsync(http);
            return TypedResults.Text("Signed out of the operators' page.");
        }).AllowAnonymous();

        // Changes need a header a cross-site form cannot send (with SameSite=Lax cookies: the page's defence against CSRF).
        var api = app.MapGroup("/api").RequireAuthorization(OperatorSignIn.Policy).AddEndpointFilter(async (context, next) =>
            HttpMethods.IsGet(context.HttpContext.Request.Method) || context.HttpContext.Request.Headers.ContainsKey("X-Operations-Page")
                ? await next(context)
                : TypedResults.Problem("Changes come from the operators' page only (header X-Operations-Page).", statusCode: StatusCodes.Status403Forbidden));

        api.MapGet("/overview", async (HttpContext http, ServiceOutboxes outboxes, BrokerQueues broker, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var reads = outboxes.Names.Select(name => outboxes.ReadAsync(name, cancellationToken)).ToList();
            IReadOnlyList<QueueFigures> queues = [];
            string? brokerProblem = null;
            try
            {
                queues = await broker.ListAsync(cancellationToken);
            }
            catch (HttpRequestException e)
            {
                brokerProblem = e.Message;
            }
            var cards = new List<ServiceCard>();
            foreach (var (name, read) in outboxes.Names.Zip(reads))
            {
                var own = queues.Where(q => q.Name.StartsWith(QueuePrefix(name), StringComparison.Ordinal)).ToList();
                cards.Add(new ServiceCard(name, await read,
                    // The bus's own per-instance queues (<service>-bus-<id>) are MassTransit's plumbing: left out.
                    [.. own.Where(q => !q.IsErrorQueue && !q.Name.Contains("-bus-", StringComparison.Ordinal)).OrderBy(q => q.Name, StringComparer.Ordinal)],
                    [.. own.Where(q => q.IsErrorQueue).OrderBy(q => q.Name, StringComparer.Ordinal)]));
            }
            return TypedResults.Ok(new Overview(http.User.Identity?.Name ?? http.User.FindFirst("sub")?.Value ?? "?", clock.GetUtcNow(), cards, brokerProblem));
        });

        api.MapPost("/services/{service}/parked/{outboxId:guid}/release", async Task<Results<NoContent, NotFound<ProblemDetails>>> (
            string service, Guid outboxId, ServiceOutboxes outboxes, CancellationToken cancellationToken) =>
            await outboxes.ReleaseAsync(service, outboxId, cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(new ProblemDetails { Title = "No such parked unit of work", Detail = $"{service} has no parked unit of work {outboxId}: released already?" }));

        api.MapGet("/error-queues/{queue}/messages", async (string queue, BrokerQueues broker, CancellationToken cancellationToken,
            [Range(1, 20)] int count = 5) =>
            TypedResults.Ok(await broker.PeekAsync(ErrorQueue(queue), count, cancellationToken)));

        api.MapPost("/error-queues/{queue}/redrive", async (string queue, BrokerQueues broker, CancellationToken cancellationToken,
            [Range(1, 1000)] int limit = 1000) =>
            TypedResults.Ok(await broker.RedriveAsync(ErrorQueue(queue)[..^"_error".Length], limit, cancellationToken)));
        return app;
    }

    /// <summary>The service's queues start with its name in kebab case, as MassTransit names them (campaign-finance-...).</summary>
    static string QueuePrefix(string service) => KebabCaseEndpointNameFormatter.Instance.SanitizeName(service) + "-";

    static string ErrorQueue(string queue) =>
        queue.EndsWith("_error", StringComparison.Ordinal) ? queue : throw new BadHttpRequestException($"'{queue}' is not an error queue (…_error).");
}
