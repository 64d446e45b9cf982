using System.Net.Http.Json;
using System.Text.Json;
using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using VolunteerCoordinator.Data;
using VolunteerCoordinator.Features.ThankYouCalls;

namespace VolunteerCoordinator.Tests;

/// <summary>
/// The thank-you saga on the service's database, its deadline waiting in the outbox, the clock stepped: a call nobody makes
/// is overdue once at its deadline; a completed call closes the saga and cancels the deadline.
/// </summary>
public sealed class ThankYouSagaTests
{
    static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2); // several relay passes and consumes

    static Task<ThankYouCallState?> SagaAsync(VolunteerCoordinatorApp app, Guid donorId) =>
        app.QueryAsync(db => db.ThankYouCallSagas.AsNoTracking().SingleOrDefaultAsync(s => s.CorrelationId == donorId));

    static Task<ThankYouCallState?> SagaInAsync(VolunteerCoordinatorApp app, Guid donorId, string state) =>
        Eventually.Until(() => SagaAsync(app, donorId), s => s?.CurrentState == state, $"the donor's saga is {state}");

    static Task<int> ScheduledAsync(VolunteerCoordinatorApp app) =>
        app.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.EnqueueTime != null));

    static IReadOnlyList<ThankYouCallOverdue> OverdueFor(VolunteerCoordinatorApp app, Guid donorId) =>
        [.. SentEvents.Of<ThankYouCallOverdue>(app.Harness).Select(e => e.Message).Where(m => m.DonorId == donorId)];

    /// <summary>The donor's call as GET /thank-you-calls/{id} shows it.</summary>
    static async Task<JsonElement> CallAsync(VolunteerCoordinatorApp app, Guid donorId)
    {
        var id = await app.QueryAsync(db => db.ThankYouCalls.Where(c => c.DonorId == donorId).Select(c => c.Id).SingleAsync());
        using var client = app.CreateClient();
        using var response = await client.GetAsync(new Uri($"/thank-you-calls/{id}", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    static DonorSecured Donor(Guid id) => new(id, "Alex Rivera", "alex.rivera@example.org", 50m, "USD", DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_call_nobody_makes_is_overdue_once_at_its_deadline_and_not_before()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var isolated = await IsolatedApp.StartAsync(clock);
        var app = isolated.App;
        var donorId = Guid.NewGuid();

        await app.Harness.Bus.Publish(Donor(donorId));
        var opened = await SagaInAsync(app, donorId, nameof(ThankYouCallStateMachine.AwaitingCall));
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromDays(3), opened!.Deadline!.Value, TimeSpan.FromSeconds(5));
        Assert.Equal(1, await ScheduledAsync(app)); // the deadline waits in the outbox, not in the broker

        clock.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        await Task.Delay(Quiet);
        Assert.Empty(OverdueFor(app, donorId));

        clock.Advance(TimeSpan.FromMinutes(2));
        var overdue = await Eventually.Until(() => Task.FromResult(OverdueFor(app, donorId)), o => o.Count > 0,
            "ThankYouCallOverdue is published for the donor");
        Assert.Equal("Alex Rivera", Assert.Single(overdue).DonorName);
        var closed = await SagaInAsync(app, donorId, nameof(ThankYouCallStateMachine.Overdue));
        Assert.Equal("", closed!.DonorName); // not kept once the outcome is settled

        // Coordinators see it on the call: its deadline, and that the donor was thanked in writing instead.
        var call = await CallAsync(app, donorId);
        Assert.Equal(opened.Deadline, call.GetProperty("deadline").GetDateTimeOffset());
        Assert.True(call.GetProperty("overdue").GetBoolean());

        // A repeated DonorSecured opens nothing again, and nothing more is published.
        await app.Harness.Bus.Publish(Donor(donorId));
        clock.Advance(TimeSpan.FromDays(4));
        await Task.Delay(Quiet);
        Assert.Single(OverdueFor(app, donorId));
        Assert.Equal(nameof(ThankYouCallStateMachine.Overdue), (await SagaAsync(app, donorId))!.CurrentState);
        Assert.Equal(0, await ScheduledAsync(app));
    }

    [Fact]
    public async Task A_completed_call_closes_the_saga_and_cancels_its_deadline()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var isolated = await IsolatedApp.StartAsync(clock);
        var app = isolated.App;
        await app.SignUpAsync(skills: [VolunteerSkills.PhoneBanking]);
        var donorId = Guid.NewGuid();

        await app.Harness.Bus.Publish(Donor(donorId));
        await SagaInAsync(app, donorId, nameof(ThankYouCallStateMachine.AwaitingCall));
        var call = await Eventually.Until(
            () => app.QueryAsync(db => db.ThankYouCalls.AsNoTracking().SingleOrDefaultAsync(c => c.DonorId == donorId)),
            c => c?.VolunteerId is not null, "the donor's call is assigned");

        using var client = app.CreateClient();
        using var completed = await client.PostAsJsonAsync($"/thank-you-calls/{call!.Id}/complete", new { notes = "Happy to help again." });
        Assert.Equal(System.Net.HttpStatusCode.OK, completed.StatusCode);

        var closed = await SagaInAsync(app, donorId, nameof(ThankYouCallStateMachine.Called));
        Assert.Null(closed!.DeadlineTokenId);
        Assert.False((await CallAsync(app, donorId)).GetProperty("overdue").GetBoolean());
        await Eventually.Until(async () => await ScheduledAsync(app) == 0, "the deadline is deleted from the outbox");

        clock.Advance(TimeSpan.FromDays(4));
        await Task.Delay(Quiet);
        Assert.Empty(OverdueFor(app, donorId));
        Assert.Equal(nameof(ThankYouCallStateMachine.Called), (await SagaAsync(app, donorId))!.CurrentState);
    }
}
