using Campaign.ServiceDefaults;
using Communications.Data;
using Communications.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Communications.Features.Messages;

/// <summary>Read-only views of outbound mail for operators: what was sent, what is waiting, what failed and why.</summary>
public static class MessagesEndpoints
{
    public static IEndpointRouteBuilder MapMessagesEndpoints(this IEndpointRouteBuilder app)
    {
        var messages = app.MapGroup("/messages").WithTags("Messages").RequireScope("communications.read");
        messages.MapGet("/", async Task<IResult> (string? kind, string? status, int? page, int? pageSize, HttpRequest http,
                CommunicationsDbContext db, CancellationToken cancellationToken) =>
                PersonalDataInUrl.Refuse(http, "/messages/search", "recipient")
                ?? await ListMessages(new MessageSearch(null, kind, status, page, pageSize), db, cancellationToken))
            .Produces<MessagePage>()
            .ProducesValidationProblem()
            .WithName("ListMessages")
            .WithSummary("Lists outbound messages, newest first, filtered by kind and status.");

        // An address is personal data: it goes in a body, never in a URL that proxies and access logs keep.
        messages.MapPost("/search", ListMessages)
            .WithName("SearchMessages")
            .WithSummary("Lists outbound messages, newest first, filtered by recipient (exact, case-insensitive), kind and status.");
        messages.MapGet("/{id:guid}", GetMessage)
            .WithName("GetMessage")
            .WithSummary("One outbound message with its send attempts.");
        return app;
    }

    static async Task<Results<Ok<MessagePage>, ValidationProblem>> ListMessages(
        MessageSearch search, CommunicationsDbContext db, CancellationToken cancellationToken)
    {
        var (recipient, kind, status, page, pageSize) = search;
        var errors = new Dictionary<string, string[]>();
        if (kind is not null && !MessageKinds.All.Contains(kind))
            errors["kind"] = [$"Unknown kind. Use one of: {string.Join(", ", MessageKinds.All)}."];
        if (status is not null && !OutboundMessageStatus.All.Contains(status))
            errors["status"] = [$"Unknown status. Use one of: {string.Join(", ", OutboundMessageStatus.All)}."];
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = db.OutboundMessages.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(recipient))
        {
            var normalized = recipient.Trim().ToUpperInvariant();
            query = query.Where(m => m.NormalizedRecipient == normalized);
        }
        if (kind is not null)
            query = query.Where(m => m.Kind == kind);
        if (status is not null)
            query = query.Where(m => m.Status == status);

        var (items, total) = await paging.ReadAsync(query
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .Select(m => new MessageSummary(m.Id, m.Kind, m.SourceEventKey, m.Recipient, m.Subject, m.Status, m.Attempts, m.LastError,
                m.CreatedAt, m.Status == OutboundMessageStatus.Pending ? m.NextAttemptAt : null, m.SentAt)), cancellationToken);
        return TypedResults.Ok(new MessagePage(items, paging.Page, paging.PageSize, total));
    }

    static async Task<Results<Ok<MessageDetails>, NotFound>> GetMessage(Guid id, CommunicationsDbContext db, CancellationToken cancellationToken)
    {
        var message = await db.OutboundMessages.AsNoTracking()
            .Include(m => m.SendAttempts)
            .SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (message is null)
            return TypedResults.NotFound();

        var summary = new MessageSummary(message.Id, message.Kind, message.SourceEventKey, message.Recipient, message.Subject,
            message.Status, message.Attempts, message.LastError, message.CreatedAt,
            message.Status == OutboundMessageStatus.Pending ? message.NextAttemptAt : null, message.SentAt);
        var attempts = message.SendAttempts.OrderBy(a => a.AttemptNo)
            .Select(a => new SendAttemptResponse(a.AttemptNo, a.At, a.Outcome, a.Error))
            .ToList();
        return TypedResults.Ok(new MessageDetails(summary, attempts));
    }
}
