using System.Net;
using System.Text.Json;
using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;

namespace VolunteerCoordinator.Tests;

/// <summary>/thank-you-calls: listing by status, assigning to a phone-banker (with ThankYouCallAssigned), completing.</summary>
public sealed class ThankYouCallsApiTests(VolunteerCoordinatorFixture fixture) : IClassFixture<VolunteerCoordinatorFixture>
{
    readonly VolunteerCoordinatorApp _app = fixture.App;

    IReadOnlyList<ThankYouCallAssigned> AssignmentsOf(Guid callId) =>
        [.. SentEvents.Of<ThankYouCallAssigned>(_app.Harness).Select(e => e.Message).Where(m => m.CallId == callId)];

    [Fact]
    public async Task Assigning_an_open_call_to_a_phone_banker_makes_it_assigned_and_sends_ThankYouCallAssigned_once()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync();
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = caller });

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("assigned", answer.Body.GetProperty("status").GetString());
        Assert.Equal(caller, answer.Body.GetProperty("volunteerId").GetGuid());
        Assert.NotEqual(JsonValueKind.Null, answer.Body.GetProperty("assignedAt").ValueKind);

        var stored = await client.GetAnswerAsync($"/thank-you-calls/{callId}");
        Assert.Equal("assigned", stored.Body.GetProperty("status").GetString());
        Assert.Equal(caller, stored.Body.GetProperty("volunteerId").GetGuid());

        await Eventually.Until(() => Task.FromResult(AssignmentsOf(callId)), a => a.Count > 0, "ThankYouCallAssigned is sent");
        await _app.WaitForOutboxDrainedAsync();
        var assigned = Assert.Single(AssignmentsOf(callId));
        Assert.Equal(caller, assigned.VolunteerId);
        Assert.Equal((await _app.CallAsync(callId)).DonorId, assigned.DonorId);
    }

    [Fact]
    public async Task A_call_can_be_handed_to_another_phone_banker_and_assigning_the_same_one_again_changes_nothing()
    {
        var first = await _app.SignUpAsync(skills: ["phone-banking"]);
        var second = await _app.SignUpAsync(skills: ["phone-banking", "driving"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: first);
        using var client = _app.CreateClient();

        var again = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = first });
        Assert.Equal(HttpStatusCode.OK, again.Status);
        var handedOver = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = second });
        Assert.Equal(HttpStatusCode.OK, handedOver.Status);
        Assert.Equal(second, handedOver.Body.GetProperty("volunteerId").GetGuid());

        await Eventually.Until(() => Task.FromResult(AssignmentsOf(callId)), a => a.Count > 0, "ThankYouCallAssigned is sent");
        await _app.WaitForOutboxDrainedAsync();
        Assert.Equal(second, Assert.Single(AssignmentsOf(callId)).VolunteerId);
    }

    [Fact]
    public async Task Assigning_to_a_volunteer_who_cannot_phone_bank_answers_400_and_changes_nothing()
    {
        var canvasser = await _app.SignUpAsync(skills: ["canvassing"]);
        var callId = await _app.ArrangeCallAsync();
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = canvasser });

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(["volunteerId"], answer.ErrorFields);
        Assert.Null((await _app.CallAsync(callId)).VolunteerId);
        Assert.Equal(0, await _app.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()));
        Assert.Empty(AssignmentsOf(callId));
    }

    [Fact]
    public async Task Assigning_needs_a_volunteer_id()
    {
        var callId = await _app.ArrangeCallAsync();
        using var client = _app.CreateClient();

        var missing = await client.PostRawAsync($"/thank-you-calls/{callId}/assign", "{}");
        var malformed = await client.PostRawAsync($"/thank-you-calls/{callId}/assign", """{"volunteerId":"not-a-guid"}""");

        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal(["volunteerId"], missing.ErrorFields);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Equal(["$.volunteerId"], malformed.ErrorFields);
        Assert.Null((await _app.CallAsync(callId)).VolunteerId);
    }

    [Fact]
    public async Task Assigning_an_unknown_call_or_to_an_unknown_volunteer_is_404()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync();
        using var client = _app.CreateClient();

        var unknownCall = await client.PostJsonAsync($"/thank-you-calls/{Guid.NewGuid()}/assign", new { volunteerId = caller });
        var unknownVolunteer = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = Guid.NewGuid() });

        Assert.Equal(HttpStatusCode.NotFound, unknownCall.Status);
        Assert.Equal("application/problem+json", unknownCall.ContentType);
        Assert.Equal(HttpStatusCode.NotFound, unknownVolunteer.Status);
        Assert.Equal("application/problem+json", unknownVolunteer.ContentType);
        Assert.Null((await _app.CallAsync(callId)).VolunteerId);
    }

    [Fact]
    public async Task A_completed_call_cannot_be_assigned_again()
    {
        var first = await _app.SignUpAsync(skills: ["phone-banking"]);
        var second = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: first, completed: true);
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync($"/thank-you-calls/{callId}/assign", new { volunteerId = second });

        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(first, (await _app.CallAsync(callId)).VolunteerId);
        Assert.Empty(AssignmentsOf(callId));
    }

    [Fact]
    public async Task Each_volunteers_open_calls_follow_assignment_hand_over_and_completion()
    {
        var first = await _app.SignUpAsync(skills: ["phone-banking"]);
        var second = await _app.SignUpAsync(skills: ["phone-banking"]);
        var kept = await _app.ArrangeCallAsync(volunteerId: first);
        var handed = await _app.ArrangeCallAsync(volunteerId: first);
        var open = await _app.ArrangeCallAsync();
        await _app.ArrangeCallAsync(volunteerId: second, completed: true);
        Assert.Equal((2, 0), await OpenCallsAsync(first, second));

        using var client = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/thank-you-calls/{handed}/assign", new { volunteerId = second })).Status);
        Assert.Equal((1, 1), await OpenCallsAsync(first, second));
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/thank-you-calls/{open}/assign", new { volunteerId = second })).Status);
        Assert.Equal((1, 2), await OpenCallsAsync(first, second));
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/thank-you-calls/{kept}/complete", new { })).Status);
        Assert.Equal((0, 2), await OpenCallsAsync(first, second));
    }

    Task<(int, int)> OpenCallsAsync(Guid first, Guid second) => _app.QueryAsync(async db =>
    {
        var counts = await db.Volunteers.AsNoTracking().Where(v => v.Id == first || v.Id == second)
            .ToDictionaryAsync(v => v.Id, v => v.OpenCalls);
        return (counts[first], counts[second]);
    });

    [Fact]
    public async Task Completing_an_assigned_call_records_the_notes_and_a_second_completion_is_409()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: caller);
        using var client = _app.CreateClient();

        var completed = await client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = "  Left a voicemail; will email.  " });
        var again = await client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = "Second try" });

        Assert.Equal(HttpStatusCode.OK, completed.Status);
        Assert.Equal("completed", completed.Body.GetProperty("status").GetString());
        Assert.Equal("Left a voicemail; will email.", completed.Body.GetProperty("notes").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("application/problem+json", again.ContentType);
        var stored = await _app.CallAsync(callId);
        Assert.NotNull(stored.CompletedAt);
        Assert.Equal("Left a voicemail; will email.", stored.Notes);
    }

    [Fact]
    public async Task Of_two_concurrent_completions_one_wins_and_the_other_is_409()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: caller);
        using var client = _app.CreateClient();

        var answers = await Task.WhenAll(
            client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = "first" }),
            client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = "second" }));

        var winner = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.Single(answers, a => a.Status == HttpStatusCode.Conflict);
        Assert.Equal(winner.Body.GetProperty("notes").GetString(), (await _app.CallAsync(callId)).Notes);
    }

    [Fact]
    public async Task A_call_can_be_completed_without_a_body()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: caller);
        using var client = _app.CreateClient();

        using var response = await client.PostAsync($"/thank-you-calls/{callId}/complete", null);
        var answer = await Answer.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("completed", answer.Body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, answer.Body.GetProperty("notes").ValueKind);
    }

    [Fact]
    public async Task Completing_an_open_call_is_409_and_an_unknown_call_is_404()
    {
        var callId = await _app.ArrangeCallAsync();
        using var client = _app.CreateClient();

        var open = await client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = "Done" });
        var unknown = await client.PostJsonAsync($"/thank-you-calls/{Guid.NewGuid()}/complete", new { notes = "Done" });

        Assert.Equal(HttpStatusCode.Conflict, open.Status);
        Assert.Null((await _app.CallAsync(callId)).CompletedAt);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task Notes_longer_than_1000_characters_are_400_and_the_call_stays_assigned()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var callId = await _app.ArrangeCallAsync(volunteerId: caller);
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync($"/thank-you-calls/{callId}/complete", new { notes = new string('x', 1001) });

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(["notes"], answer.ErrorFields);
        Assert.Null((await _app.CallAsync(callId)).CompletedAt);
    }

    [Fact]
    public async Task Calls_are_listed_by_derived_status()
    {
        var caller = await _app.SignUpAsync(skills: ["phone-banking"]);
        var open = await _app.ArrangeCallAsync();
        var assigned = await _app.ArrangeCallAsync(volunteerId: caller);
        var completed = await _app.ArrangeCallAsync(volunteerId: caller, completed: true);
        using var client = _app.CreateClient();

        async Task<List<(Guid Id, string? Status)>> List(string query)
        {
            var answer = await client.GetAnswerAsync($"/thank-you-calls?pageSize=100{query}");
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            return [.. answer.Body.GetProperty("items").EnumerateArray()
                .Select(c => (c.GetProperty("id").GetGuid(), c.GetProperty("status").GetString()))];
        }

        var openCalls = await List("&status=open");
        var assignedCalls = await List("&status=assigned");
        var completedCalls = await List("&status=completed");
        var all = await List("");

        Assert.Contains((open, "open"), openCalls);
        Assert.All(openCalls, c => Assert.Equal("open", c.Status));
        Assert.Contains((assigned, "assigned"), assignedCalls);
        Assert.All(assignedCalls, c => Assert.Equal("assigned", c.Status));
        Assert.Contains((completed, "completed"), completedCalls);
        Assert.All(completedCalls, c => Assert.Equal("completed", c.Status));
        Assert.Equal(openCalls.Count + assignedCalls.Count + completedCalls.Count, all.Count);
    }

    [Theory]
    [InlineData("/thank-you-calls?status=pending", "status")]
    [InlineData("/thank-you-calls?status=OPEN", "status")]
    [InlineData("/thank-you-calls?page=0", "page")]
    [InlineData("/thank-you-calls?pageSize=0", "pageSize")]
    public async Task A_bad_call_query_answers_400_naming_the_parameter(string path, string field)
    {
        using var client = _app.CreateClient();

        var answer = await client.GetAnswerAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal([field], answer.ErrorFields);
    }

    [Fact]
    public async Task An_unknown_call_is_404()
    {
        using var client = _app.CreateClient();

        var answer = await client.GetAnswerAsync($"/thank-you-calls/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }
}
