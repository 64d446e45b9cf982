using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Campaign.ResilienceTests.Support;
using Campaign.SystemTesting;
using Campaign.Testing;
using Xunit.Abstractions;

namespace Campaign.ResilienceTests.Faults;

/// <summary>
/// On each service's queues, a message that cannot be read and a message its consumer refuses on every attempt (a contract
/// message without the id it is about) end in the queue's <c>_error</c> queue, the second after the retry policy, while the
/// other messages keep flowing. The error queue keeps what an operator needs (the MT-Fault-* headers), and the re-drive the
/// README describes (tools/error-queues) puts a message back on its queue.
/// </summary>
[Trait("Category", "Faults")]
public sealed class PoisonMessageTests(ITestOutputHelper output)
{
    const string MassTransitJson = "application/vnd.masstransit+json";

    sealed record Poison(string Queue, string MessageId, string Kind);

    [Fact]
    public async Task Poison_messages_end_in_the_error_queue_after_the_retries_while_the_other_messages_flow()
    {
        await Infra.RunAsync("up");
        await using var system = await CampaignSystem.StartAsync();
        using var broker = new BrokerAdmin();
        using var management = new RabbitMqManagement();
        var domain = $"{system.RunId[^6..]}.poison.example";
        var emptyCallsBefore = await SystemDatabases.ThankYouCallsAsync(Guid.Empty);

        var poison = new List<Poison>();
        foreach (var (queue, contract, message) in new (string, string, JsonObject)[]
                 {
                     ("volunteer-coordinator-donor-secured", "DonorSecured", DonorSecured(Guid.Empty, domain)),
                     ("communications-donor-secured", "DonorSecured", DonorSecured(Guid.Empty, domain)),
                     ("communications-volunteer-signed-up", "VolunteerSignedUp", VolunteerSignedUp(Guid.Empty, domain)),
                 })
        {
            var malformed = Guid.NewGuid().ToString();
            Assert.True(await broker.PublishToQueueAsync(queue, "{ \"messageId\": \"" + malformed + "\", this is not JSON", malformed, MassTransitJson),
                $"nothing routed to {queue}");
            poison.Add(new Poison(queue, malformed, "malformed"));

            var refused = Guid.NewGuid().ToString();
            Assert.True(await broker.PublishToQueueAsync(queue, Envelope(refused, queue, contract, message), refused, MassTransitJson));
            poison.Add(new Poison(queue, refused, "refused by its consumer"));
        }

        // Meanwhile the ordinary traffic: donors secured, volunteers signing up.
        var donors = new List<(Guid Id, string Email)>();
        var volunteers = new List<(Guid Id, string Email)>();
        for (var i = 0; i < 5; i++)
        {
            var email = $"donor{i}@{domain}";
            using var registered = await system.Finance.Client.PostAsJsonAsync("/donors", new { name = $"Poison Test {i}", email });
            var id = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            using var contributed = await system.Finance.Client.PostAsJsonAsync($"/donors/{id}/contributions",
                new { amount = 30m, currency = "USD", receivedOn = "2025-04-01", method = "check" });
            Assert.Equal(System.Net.HttpStatusCode.Created, contributed.StatusCode);
            donors.Add((id, email));

            var volunteerEmail = $"volunteer{i}@{domain}";
            using var signedUp = await system.Volunteers.Client.PostAsJsonAsync("/volunteers", new { name = $"Poison Test {i}", email = volunteerEmail });
            Assert.Equal(System.Net.HttpStatusCode.Created, signedUp.StatusCode);
            volunteers.Add(((await signedUp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), volunteerEmail));
        }

        // Generous limits: a pass takes seconds, but a shared CI machine can be very busy.
        var flow = TimeSpan.FromSeconds(90);
        foreach (var (id, email) in donors)
        {
            await Eventually.Until(async () => await SystemDatabases.ThankYouCallsAsync(id) == 1, $"a thank-you call for donor {id}", flow);
            await Eventually.Until(async () => await SystemDatabases.OutboundMessagesAsync(email, "donor-thank-you") == 1, $"a thank-you email for donor {id}", flow);
        }
        foreach (var (id, email) in volunteers)
            await Eventually.Until(async () => await SystemDatabases.OutboundMessagesAsync(email, "volunteer-welcome") == 1, $"a welcome email for volunteer {id}", flow);

        // Every poison message waits in its queue's error queue, with the fault that put it there.
        foreach (var group in poison.GroupBy(p => p.Queue))
        {
            var errorQueue = group.Key + "_error";
            var found = await Eventually.Until(async () =>
                {
                    var depth = (await management.QueueAsync(errorQueue))?.Messages ?? 0;
                    var messages = await broker.PeekAsync(errorQueue, (int)Math.Clamp(depth + 10, 10, 1000));
                    return messages.Where(m => group.Any(p => p.MessageId == m.MessageId)).ToList();
                },
                messages => messages.Count == group.Count(), $"both poison messages of {group.Key} in {errorQueue}", TimeSpan.FromSeconds(60));

            foreach (var message in found)
            {
                var kind = group.Single(p => p.MessageId == message.MessageId).Kind;
                output.WriteLine($"{errorQueue}: {kind}: {message.Header("MT-Fault-ExceptionType")}: {message.Header("MT-Fault-Message")} (retries: {message.Header("MT-Fault-RetryCount") ?? "none"})");
                Assert.False(string.IsNullOrEmpty(message.Header("MT-Fault-ExceptionType")), $"{kind} message in {errorQueue} without MT-Fault-ExceptionType");
                if (kind == "refused by its consumer")
                {
                    // The endpoint's retry policy (100 ms, 0.5 s, 1 s, 2 s) ran before the message was given up on.
                    Assert.Equal("4", message.Header("MT-Fault-RetryCount"));
                    Assert.Contains("without a", message.Header("MT-Fault-Message"), StringComparison.Ordinal);
                }
            }
        }

        // Refused messages had no effect.
        Assert.Equal(emptyCallsBefore, await SystemDatabases.ThankYouCallsAsync(Guid.Empty));
        Assert.Equal(0, await SystemDatabases.ScalarAsync<long>(Service.Communications,
            """SELECT count(*) FROM "OutboundMessages" WHERE "SourceEventKey" = $1""", Guid.Empty.ToString()));

        // The re-drive of the README moves a message back onto its queue, where it is consumed again (and, its cause not
        // fixed, fails again: back in the error queue after the retries).
        var redriven = poison.First(p => p.Kind == "refused by its consumer");
        var page = await system.StartOperationsPageAsync();
        var moved = await ErrorQueuesTool.RunAsync(page.BaseAddress, "redrive", redriven.Queue);
        output.WriteLine(moved.Trim());
        await Eventually.Until(async () =>
            {
                var messages = await broker.PeekAsync(redriven.Queue + "_error", 1000);
                return messages.Where(m => m.MessageId == redriven.MessageId).ToList();
            },
            messages => messages.Count == 1 && messages[0].Header("MT-Fault-RetryCount") == "4",
            "the re-driven message consumed again and back in the error queue", TimeSpan.FromSeconds(60));

        // Leave the error queues as they were when nothing but this test's messages is in them.
        foreach (var group in poison.GroupBy(p => p.Queue))
        {
            var errorQueue = group.Key + "_error";
            var all = await broker.PeekAsync(errorQueue, 1000);
            if (all.All(m => group.Any(p => p.MessageId == m.MessageId)))
                await broker.TakeAsync(errorQueue, all.Count);
        }
    }

    static JsonObject DonorSecured(Guid donorId, string domain) => new()
    {
        ["donorId"] = donorId,
        ["name"] = "Nobody",
        ["email"] = $"nobody@{domain}",
        ["amount"] = "10.00",
        ["currency"] = "USD",
        ["occurredAt"] = DateTimeOffset.UtcNow,
    };

    static JsonObject VolunteerSignedUp(Guid volunteerId, string domain) => new()
    {
        ["volunteerId"] = volunteerId,
        ["name"] = "Nobody",
        ["email"] = $"nobody@{domain}",
        ["skills"] = new JsonArray(),
        ["occurredAt"] = DateTimeOffset.UtcNow,
    };

    /// <summary>A MassTransit JSON envelope, as a producer on the bus would send it.</summary>
    static string Envelope(string messageId, string queue, string contract, JsonObject message) => new JsonObject
    {
        ["messageId"] = messageId,
        ["conversationId"] = Guid.NewGuid(),
        ["sourceAddress"] = "rabbitmq://localhost/campaign/poison-test",
        ["destinationAddress"] = $"rabbitmq://localhost/campaign/{queue}",
        ["messageType"] = new JsonArray($"urn:message:Campaign.Contracts:{contract}"),
        ["message"] = message,
        ["sentTime"] = DateTime.UtcNow,
        ["headers"] = new JsonObject(),
    }.ToJsonString();
}
