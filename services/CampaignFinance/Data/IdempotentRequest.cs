namespace CampaignFinance.Data;

/// <summary>
/// The response to a request that carried an Idempotency-Key, stored in the transaction of its effect, so a retry with
/// the same key gets the same answer and changes nothing.
/// </summary>
public sealed class IdempotentRequest
{
    /// <summary>The client's key (1 to 100 printable ASCII characters); one request per key, whatever the endpoint.</summary>
    public required string Key { get; set; }

    /// <summary>Method and path, e.g. <c>POST /donors</c>.</summary>
    public required string Endpoint { get; set; }

    /// <summary>SHA-256 (hex) of the request body as the endpoint read it.</summary>
    public required string RequestHash { get; set; }

    public int StatusCode { get; set; }

    public required string ResponseBody { get; set; }

    public string? Location { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
