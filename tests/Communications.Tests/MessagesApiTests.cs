using System.Net;
using System.Net.Http.Json;
using Campaign.Testing;
using System.Text.Json;
using Campaign.Contracts;
using Communications.Data;
using Communications.Features.Messages;
using Communications.Mail;

namespace Communications.Tests;

/// <summary>GET /messages and GET /messages/{id}: filters, paging, 404 and 400s.</summary>
public sealed class MessagesApiTests(CommunicationsFixture fixture) : IClassFixture<CommunicationsFixture>
{
    readonly CommunicationsApp _app = fixture.App;
    readonly HttpClient _client = fixture.App.CreateClient();

    /// <summary>A donor thank-you and a volunteer welcome to one (mixed-case) address, both sent.</summary>
    async Task<(string Recipient, OutboundMessage ThankYou, OutboundMessage Welcome)> TwoSentMessagesToOneAddressAsync()
    {
        var recipient = $"Supporter-{Guid.NewGuid():N}@Example.org";
        var donorId = Guid.NewGuid();
        var volunteerId = Guid.NewGuid();
        await _app.Harness.Bus.Publish(new DonorSecured(donorId, "Casey Morgan", recipient, 75m, "USD", DateTimeOffset.UtcNow));
        var thankYou = await _app.WaitForMessageAsync(donorId, m => m.Status == OutboundMessageStatus.Sent, "the thank-you is sent");
        await _app.Harness.Bus.Publish(new VolunteerSignedUp(volunteerId, "Casey Morgan", recipient, ["driving"], DateTimeOffset.UtcNow));
        var welcome = await _app.WaitForMessageAsync(volunteerId, m => m.Status == OutboundMessageStatus.Sent, "the welcome is sent");
        return (recipient, thankYou, welcome);
    }

    /// <summary>POST /messages/search with the fields of <paramref name="query"/> (written as a query string for brevity).</summary>
    async Task<MessagePage> ListAsync(string query)
    {
        var response = await _client.PostAsJsonAsync(new Uri("/messages/search", UriKind.Relative), SearchBody.From(query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MessagePage>())!;
    }

    [Fact]
    public async Task Filtering_by_recipient_is_exact_and_case_insensitive()
    {
        var (recipient, thankYou, welcome) = await TwoSentMessagesToOneAddressAsync();

        var page = await ListAsync($"recipient={Uri.EscapeDataString(recipient.ToLowerInvariant())}");
        Assert.Equal(2, page.TotalCount);
        Assert.Equal(new[] { welcome.Id, thankYou.Id }, page.Items.Select(m => m.Id)); // newest first
        Assert.All(page.Items, m => Assert.Equal(recipient, m.Recipient));

        var upper = await ListAsync($"recipient={Uri.EscapeDataString(recipient.ToUpperInvariant())}");
        Assert.Equal(2, upper.TotalCount);

        var prefix = await ListAsync($"recipient={Uri.EscapeDataString(recipient[..^4])}");
        Assert.Equal(0, prefix.TotalCount);
        Assert.Empty(prefix.Items);

        // The address was in the query string of every request above: no log line may repeat it.
        Assert.False(_app.Logs.Mention(Uri.EscapeDataString(recipient.ToLowerInvariant())), "no log mentions the searched address");
        Assert.False(_app.Logs.Mention(recipient), "no log mentions the recipient");
    }

    [Fact]
    public async Task Filtering_by_kind_and_status_narrows_the_list()
    {
        var (recipient, thankYou, _) = await TwoSentMessagesToOneAddressAsync();
        var to = $"recipient={Uri.EscapeDataString(recipient)}";

        var thankYous = await ListAsync($"{to}&kind={MessageKinds.DonorThankYou}");
        var only = Assert.Single(thankYous.Items);
        Assert.Equal(thankYou.Id, only.Id);
        Assert.Equal(MessageKinds.DonorThankYou, only.Kind);
        Assert.Equal(OutboundMessageStatus.Sent, only.Status);
        Assert.Equal(thankYou.SourceEventKey, only.SourceEventKey);
        Assert.NotNull(only.SentAt);
        Assert.Null(only.NextAttemptAt);

        Assert.Equal(2, (await ListAsync($"{to}&status=sent")).TotalCount);
        Assert.Equal(0, (await ListAsync($"{to}&status=pending")).TotalCount);

        var donorId = Guid.NewGuid();
        var badAddress = $"nobody-{Guid.NewGuid():N}";
        await _app.Harness.Bus.Publish(new DonorSecured(donorId, "Lee", badAddress, 5m, "USD", DateTimeOffset.UtcNow));
        await _app.WaitForMessageAsync(donorId, _ => true, "the undeliverable thank-you is recorded");
        var failed = Assert.Single((await ListAsync($"recipient={badAddress}&status=failed&kind=donor-thank-you")).Items);
        Assert.Equal(OutboundMessageStatus.Failed, failed.Status);
        Assert.NotNull(failed.LastError);
    }

    [Fact]
    public async Task Pages_hold_pageSize_messages_newest_first()
    {
        var (recipient, thankYou, welcome) = await TwoSentMessagesToOneAddressAsync();
        var to = $"recipient={Uri.EscapeDataString(recipient)}";

        var first = await ListAsync($"{to}&page=1&pageSize=1");
        var second = await ListAsync($"{to}&page=2&pageSize=1");
        var third = await ListAsync($"{to}&page=3&pageSize=1");

        Assert.Equal((1, 1, 2), (first.Page, first.PageSize, first.TotalCount));
        Assert.Equal(welcome.Id, Assert.Single(first.Items).Id);
        Assert.Equal(thankYou.Id, Assert.Single(second.Items).Id);
        Assert.Empty(third.Items);
    }

    [Fact]
    public async Task A_message_shows_its_attempts_but_not_its_body()
    {
        var (recipient, thankYou, _) = await TwoSentMessagesToOneAddressAsync();

        var response = await _client.GetAsync(new Uri($"/messages/{thankYou.Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("body", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Casey", json, StringComparison.Ordinal);
        Assert.DoesNotContain("75.00", json, StringComparison.Ordinal);
        var details = JsonSerializer.Deserialize<MessageDetails>(json, JsonSerializerOptions.Web)!;
        Assert.Equal(thankYou.Id, details.Message.Id);
        Assert.Equal(recipient, details.Message.Recipient);
        Assert.Equal(OutboundMessageStatus.Sent, details.Message.Status);
        var attempt = Assert.Single(details.SendAttempts);
        Assert.Equal((1, SendAttemptOutcome.Sent, (string?)null), (attempt.AttemptNo, attempt.Outcome, attempt.Error));
    }

    [Fact]
    public async Task An_unknown_message_is_not_found()
    {
        var response = await _client.GetAsync(new Uri($"/messages/{Guid.NewGuid()}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("kind=newsletter", "kind")]
    [InlineData("status=bounced", "status")]
    [InlineData("status=Sent", "status")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=101", "pageSize")]
    public async Task A_bad_filter_or_page_is_a_validation_problem_naming_the_field(string query, string field)
    {
        var response = await _client.GetAsync(new Uri($"/messages?{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors name '{field}': {errors}");
    }

    [Fact]
    public async Task A_page_that_is_not_a_number_is_a_bad_request()
    {
        var response = await _client.GetAsync(new Uri("/messages?page=abc", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
