using System.Security.Cryptography;
using System.Text.Json;
using CampaignFinance.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CampaignFinance.Idempotency;

/// <summary>One request that carried an Idempotency-Key: the key, the endpoint it was sent to, and a hash of its body.</summary>
public sealed record IdempotentCall(string Key, string Endpoint, string RequestHash);

/// <summary>What was stored for a key: the response to replay, and whether the new request is the same request.</summary>
public sealed record PriorRequest(bool SameRequest, StoredResponse Response);

/// <summary>
/// Stores the response to a keyed request in the DbContext, to commit with the request's effect, and finds it again for a
/// retry. Only successful responses are stored: a refused request changed nothing, so its retry is simply answered again.
/// </summary>
public sealed class IdempotentRequests(FinanceDbContext db, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions, TimeProvider clock)
{
    readonly JsonSerializerOptions _json = jsonOptions.Value.SerializerOptions;

    /// <summary>Identifies a request by key, endpoint and body (the body as the endpoint read it, serialized canonically).</summary>
    public IdempotentCall Describe<TRequest>(string key, string endpoint, TRequest request)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, _json);
        return new IdempotentCall(key, endpoint, Convert.ToHexStringLower(SHA256.HashData(body)));
    }

    /// <summary>The stored response for the call's key, or null when the key has not been used (or its request rolled back).</summary>
    public async Task<PriorRequest?> FindAsync(IdempotentCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var stored = await db.IdempotentRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Key == call.Key, cancellationToken);
        if (stored is null)
            return null;
        var same = stored.Endpoint == call.Endpoint && stored.RequestHash == call.RequestHash;
        return new PriorRequest(same, new StoredResponse(stored.StatusCode, stored.ResponseBody, stored.Location));
    }

    /// <summary>Adds the response to the DbContext: the caller's SaveChanges commits it with the effect, or neither.</summary>
    public void Record<TResponse>(IdempotentCall call, int statusCode, TResponse response, string? location)
    {
        ArgumentNullException.ThrowIfNull(call);
        db.IdempotentRequests.Add(new IdempotentRequest
        {
            Key = call.Key,
            Endpoint = call.Endpoint,
            RequestHash = call.RequestHash,
            StatusCode = statusCode,
            ResponseBody = JsonSerializer.Serialize(response, _json),
            Location = location,
            CreatedAt = clock.GetUtcNow(),
        });
    }

    /// <summary>
    /// Saves and commits the request's effect with its stored response. Null when it committed; else the request that
    /// used the same key at the same moment and committed first (its key, on another donor, did not wait on this one's row
    /// lock): this one is rolled back, events included, and the caller answers as a retry would be answered.
    /// </summary>
    public async Task<PriorRequest?> CommitAsync(IdempotentCall? call, IDbContextTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException exception) when (call is not null && IsUniqueViolation(exception))
        {
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            if (await FindAsync(call, cancellationToken) is { } winner)
                return winner;
            throw;
        }
    }

    /// <summary>The answer to a stored key sent with another request: 422, nothing done.</summary>
    public static ProblemHttpResult KeyReused() => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status422UnprocessableEntity,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        Title = "This Idempotency-Key was already used for a different request.",
        Detail = $"A key identifies one request: send the same method, path and body to get the stored response, or use a new {IdempotencyKey.HeaderName} for a new request.",
    });

    /// <summary>A unique index refused the insert: another request (with the same key, or the same email) committed first.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) =>
        exception?.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}

/// <summary>A stored response, replayed byte for byte with its status and Location, marked <c>Idempotent-Replayed: true</c>.</summary>
public sealed class StoredResponse(int statusCode, string body, string? location) : IResult, IStatusCodeHttpResult
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public int? StatusCode => statusCode;

    /// <summary>Where the created resource lives (the audit trail records a replay under it).</summary>
    public string? Location => location;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = statusCode;
        if (location is not null)
            httpContext.Response.Headers.Location = location;
        httpContext.Response.Headers[ReplayedHeader] = "true";
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await httpContext.Response.WriteAsync(body, httpContext.RequestAborted);
    }
}
