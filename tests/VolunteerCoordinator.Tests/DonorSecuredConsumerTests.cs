using Campaign.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Tests;

/// <summary>
/// DonorSecured on the bus to one thank-you call per donor, given to the phone-banker with the fewest calls in hand, and one
/// ThankYouCallAssigned; redeliveries and repeated events change nothing.
/// </summary>
public sealed class DonorSecuredConsumerTests(VolunteerCoordinatorFixture fixture) : IClassFixture<VolunteerCoordinatorFixture>
{
    readonly VolunteerCoordinatorApp _app = fixture.App;

    static IReadOnlyList<ThankYouCallAssigned> AssignmentsFor(VolunteerCoordinatorApp app, Guid donorId) =>
        [.. SentEvents.Of<ThankYouCallAssigned>(app.Harness).Select(e => e.Message).Where(m => m.DonorId == donorId)];

    static Task<List<ThankYouCall>> CallsFor(VolunteerCoordinatorApp app, Guid donorId) =>
        app.QueryAsync(db => db.ThankYouCalls.AsNoTracking().Where(c => c.DonorId == donorId).ToListAsync());

    static async Task<Guid> PublishAsync(VolunteerCoordinatorApp app, DonorSecured donor, Guid? messageId = null)
    {
        var id = messageId ?? NewId.NextGuid();
        await app.Harness.Bus.Publish(donor, context => context.MessageId = id);
        return id;
    }

    /// <summary>Makes sure the shared app has someone to call with, so its calls get assigned.</summary>
    async Task EnsureAPhoneBankerAsync()
    {
        if (!await _app.QueryAsync(db => db.Volunteers.AnyAsync(v => v.Skills.Contains(VolunteerSkills.PhoneBanking))))
            await _app.SignUpAsync(skills: [VolunteerSkills.PhoneBanking]);
    }

    [Fact]
    public async Task A_secured_donor_gets_one_assigned_call_and_one_ThankYouCallAssigned()
    {
        await EnsureAPhoneBankerAsync();
        var donorId = Guid.NewGuid();
        var email = $"donor-{Guid.NewGuid():N}@example.org";
        var name = $"Morgan {Guid.NewGuid():N}"[..20];

        var messageId = await PublishAsync(_app, new DonorSecured(donorId, name, email, 500m, "USD", DateTimeOffset.UtcNow));

        await _app.WaitForInboxDeliveredAsync(messageId);
        await _app.WaitForOutboxDrainedAsync();
        var call = Assert.Single(await CallsFor(_app, donorId));
        Assert.Equal(name, call.DonorName);
        Assert.NotNull(call.VolunteerId);
        Assert.NotNull(call.AssignedAt);
        Assert.Null(call.CompletedAt);
        var assigned = Assert.Single(AssignmentsFor(_app, donorId));
        Assert.Equal((call.Id, call.VolunteerId.Value), (assigned.CallId, assigned.VolunteerId));
        Assert.True(await _app.Harness.Consumed.Any<DonorSecured>(x => x.Context.Message.DonorId == donorId));

        Assert.True(_app.Logs.Mention(call.Id.ToString()), "the call is logged by id");
        Assert.False(_app.Logs.Mention(name), "no log mentions the donor's name");
        Assert.False(_app.Logs.Mention(email), "no log mentions the donor's address");
    }

    [Fact]
    public async Task The_same_DonorSecured_message_delivered_twice_creates_one_call_and_one_ThankYouCallAssigned()
    {
        await EnsureAPhoneBankerAsync();
        var donorId = Guid.NewGuid();
        var donor = VolunteerCoordinatorApp.Donor(donorId);
        var messageId = NewId.NextGuid();

        await PublishAsync(_app, donor, messageId);
        await PublishAsync(_app, donor, messageId);

        // The harness does not list a redelivery the inbox skipped; the inbox row counts both receptions.
        var inbox = await _app.WaitForInboxDeliveredAsync(messageId, receiveCount: 2);
        Assert.All(inbox, row => Assert.Equal(2, row.ReceiveCount)); // the call's consumer and the thank-you saga
        Assert.All(inbox, row => Assert.NotNull(row.Consumed));
        await _app.WaitForOutboxDrainedAsync();
        var call = Assert.Single(await CallsFor(_app, donorId));
        Assert.Equal(call.Id, Assert.Single(AssignmentsFor(_app, donorId)).CallId);
    }

    [Fact]
    public async Task A_second_DonorSecured_message_about_the_same_donor_adds_no_call_and_publishes_nothing()
    {
        await EnsureAPhoneBankerAsync();
        var donorId = Guid.NewGuid();
        var first = await PublishAsync(_app, VolunteerCoordinatorApp.Donor(donorId));
        await _app.WaitForInboxDeliveredAsync(first);
        var call = Assert.Single(await CallsFor(_app, donorId));

        var second = await PublishAsync(_app, VolunteerCoordinatorApp.Donor(donorId, name: "Alex R."));

        await _app.WaitForInboxDeliveredAsync(second);
        await _app.WaitForOutboxDrainedAsync();
        var after = Assert.Single(await CallsFor(_app, donorId));
        Assert.Equal((call.Id, call.VolunteerId, call.DonorName), (after.Id, after.VolunteerId, after.DonorName));
        Assert.Equal(call.Id, Assert.Single(AssignmentsFor(_app, donorId)).CallId);
    }

    [Fact]
    public async Task Concurrent_messages_about_the_same_donor_create_one_call()
    {
        await EnsureAPhoneBankerAsync();
        var donorId = Guid.NewGuid();

        var messageIds = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => PublishAsync(_app, VolunteerCoordinatorApp.Donor(donorId))));

        foreach (var messageId in messageIds)
            await _app.WaitForInboxDeliveredAsync(messageId);
        await _app.WaitForOutboxDrainedAsync();
        var call = Assert.Single(await CallsFor(_app, donorId));
        Assert.Equal(call.Id, Assert.Single(AssignmentsFor(_app, donorId)).CallId);
        Assert.False(await _app.Harness.Published.Any<Fault<DonorSecured>>(x => x.Context.Message.Message.DonorId == donorId),
            "no delivery faulted");
    }

    [Fact]
    public async Task A_name_the_column_cannot_hold_is_stored_cut_not_refused()
    {
        var donorId = Guid.NewGuid();
        var name = "Dana\0 " + new string('x', 196) + "\U0001F600";

        var messageId = await PublishAsync(_app, VolunteerCoordinatorApp.Donor(donorId, name));

        await _app.WaitForInboxDeliveredAsync(messageId);
        var call = Assert.Single(await CallsFor(_app, donorId));
        Assert.Equal("Dana " + new string('x', 195), call.DonorName);
    }

    [Fact]
    public async Task A_secured_donor_goes_to_the_phone_banker_with_the_fewest_calls_in_hand_ties_to_the_earliest_sign_up()
    {
        await using var isolated = await IsolatedApp.StartAsync();
        var app = isolated.App;
        var busiest = await app.SignUpAsync(skills: ["phone-banking"]);
        var lighter = await app.SignUpAsync(skills: ["canvassing", "phone-banking"]);
        var alsoLighter = await app.SignUpAsync(skills: ["phone-banking"]);
        var canvasser = await app.SignUpAsync(skills: ["canvassing"]);
        await app.ArrangeCallAsync(busiest);
        await app.ArrangeCallAsync(busiest);
        await app.ArrangeCallAsync(lighter);
        await app.ArrangeCallAsync(lighter, completed: true);
        await app.ArrangeCallAsync(lighter, completed: true);
        await app.ArrangeCallAsync(lighter, completed: true);
        await app.ArrangeCallAsync(alsoLighter);

        var firstDonor = Guid.NewGuid();
        await app.WaitForInboxDeliveredAsync(await PublishAsync(app, VolunteerCoordinatorApp.Donor(firstDonor)));
        var firstCall = Assert.Single(await CallsFor(app, firstDonor));
        Assert.Equal(lighter, firstCall.VolunteerId);

        // Now the earlier sign-up has two calls in hand and the later one still one.
        var secondDonor = Guid.NewGuid();
        await app.WaitForInboxDeliveredAsync(await PublishAsync(app, VolunteerCoordinatorApp.Donor(secondDonor)));
        Assert.Equal(alsoLighter, Assert.Single(await CallsFor(app, secondDonor)).VolunteerId);

        await app.WaitForOutboxDrainedAsync();
        var assigned = Assert.Single(AssignmentsFor(app, firstDonor));
        Assert.Equal((firstCall.Id, lighter), (assigned.CallId, assigned.VolunteerId));
        Assert.Equal(alsoLighter, Assert.Single(AssignmentsFor(app, secondDonor)).VolunteerId);
        Assert.DoesNotContain(SentEvents.Of<ThankYouCallAssigned>(app.Harness), e => e.Message.VolunteerId == canvasser || e.Message.VolunteerId == busiest);
    }

    [Fact]
    public async Task Donors_secured_at_the_same_time_are_spread_over_the_phone_bankers_and_every_open_call_count_stays_right()
    {
        await using var isolated = await IsolatedApp.StartAsync();
        var app = isolated.App;
        var callers = new HashSet<Guid>();
        for (var i = 0; i < 4; i++)
            callers.Add(await app.SignUpAsync(skills: ["phone-banking"]));
        var donors = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();

        var messages = await Task.WhenAll(donors.Select(d => PublishAsync(app, VolunteerCoordinatorApp.Donor(d))));
        foreach (var messageId in messages)
            await app.WaitForInboxDeliveredAsync(messageId);

        var calls = await app.QueryAsync(db => db.ThankYouCalls.AsNoTracking().Where(c => donors.Contains(c.DonorId)).ToListAsync());
        Assert.Equal(donors.Count, calls.Count);
        var perCaller = calls.GroupBy(c => c.VolunteerId).ToDictionary(g => g.Key!.Value, g => g.Count());
        Assert.Equal(callers, perCaller.Keys.ToHashSet());
        var openCalls = await app.QueryAsync(db => db.Volunteers.AsNoTracking().Where(v => callers.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => v.OpenCalls));
        Assert.Equal(perCaller.OrderBy(p => p.Key), openCalls.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Without_a_phone_banker_the_call_stays_open_and_nothing_is_published()
    {
        await using var isolated = await IsolatedApp.StartAsync();
        var app = isolated.App;
        await app.SignUpAsync(skills: ["canvassing", "driving"]);
        var donorId = Guid.NewGuid();

        var messageId = await PublishAsync(app, VolunteerCoordinatorApp.Donor(donorId));

        var inbox = await app.WaitForInboxDeliveredAsync(messageId);
        Assert.All(inbox, row => Assert.Null(row.LastSequenceNumber));
        var call = Assert.Single(await CallsFor(app, donorId));
        Assert.Null(call.VolunteerId);
        Assert.Null(call.AssignedAt);
        Assert.Equal(ThankYouCallStatus.Open, call.Status);
        await app.WaitForOutboxDrainedAsync();
        Assert.Empty(SentEvents.Of<ThankYouCallAssigned>(app.Harness));

        using var client = app.CreateClient();
        var open = await client.GetAnswerAsync("/thank-you-calls?status=open");
        Assert.Equal(call.Id, Assert.Single(open.Body.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
    }
}
