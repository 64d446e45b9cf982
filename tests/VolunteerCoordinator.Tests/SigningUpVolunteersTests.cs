using System.Net;
using Campaign.Contracts;
using Campaign.Outbox;
using Campaign.Testing;
using Microsoft.EntityFrameworkCore;
using VolunteerCoordinator.Data;

namespace VolunteerCoordinator.Tests;

/// <summary>POST /volunteers: one volunteer and one VolunteerSignedUp per address, committed together.</summary>
public sealed class SigningUpVolunteersTests(VolunteerCoordinatorFixture fixture) : IClassFixture<VolunteerCoordinatorFixture>
{
    readonly VolunteerCoordinatorApp _app = fixture.App;

    static object Form(string email, object? phone = null, object? skills = null, object? availability = null, string name = "Jordan Park") =>
        new { name, email, phone, skills = skills ?? new[] { "phone-banking", "translation" }, availability = availability ?? new[] { "weekday-evenings" } };

    IReadOnlyList<VolunteerSignedUp> SignedUpEventsFor(string email) =>
        [.. SentEvents.Of<VolunteerSignedUp>(_app.Harness).Select(e => e.Message)
            .Where(m => string.Equals(m.Email, email, StringComparison.OrdinalIgnoreCase))];

    Task<int> VolunteersWithAsync(string email)
    {
        var normalized = email.ToUpperInvariant();
        return _app.QueryAsync(db => db.Volunteers.CountAsync(v => v.NormalizedEmail == normalized));
    }

    [Fact]
    public async Task Signing_up_stores_the_volunteer_and_sends_VolunteerSignedUp_once()
    {
        var email = VolunteerCoordinatorApp.NewEmail();
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync("/volunteers",
            Form(email, phone: "+1 555-010-4477", skills: new[] { "phone-banking", "translation" }, availability: new[] { "weekday-evenings", "weekend-mornings" }));

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        var id = answer.Body.GetProperty("id").GetGuid();
        Assert.Equal($"/volunteers/{id}", answer.Location);
        Assert.Equal("Jordan Park", answer.Body.GetProperty("name").GetString());
        Assert.Equal(email, answer.Body.GetProperty("email").GetString());
        Assert.Equal("+15550104477", answer.Body.GetProperty("phone").GetString());
        Assert.Equal(["phone-banking", "translation"], answer.Body.GetProperty("skills").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["weekday-evenings", "weekend-mornings"], answer.Body.GetProperty("availability").EnumerateArray().Select(s => s.GetString()));

        var stored = await client.GetAnswerAsync($"/volunteers/{id}");
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal("+15550104477", stored.Body.GetProperty("phone").GetString());

        await Eventually.Until(() => Task.FromResult(SignedUpEventsFor(email)), e => e.Count > 0, "VolunteerSignedUp is sent");
        await _app.WaitForOutboxDrainedAsync();
        var signedUp = Assert.Single(SignedUpEventsFor(email));
        Assert.Equal(id, signedUp.VolunteerId);
        Assert.Equal("Jordan Park", signedUp.Name);
        Assert.Equal(["phone-banking", "translation"], signedUp.Skills);

        Assert.True(_app.Logs.Mention(id.ToString()), "the sign-up is logged by id");
        Assert.False(_app.Logs.Mention(email), "no log mentions the address");
    }

    [Fact]
    public async Task Signing_up_an_address_that_is_already_signed_up_answers_409_with_the_volunteer_and_publishes_nothing()
    {
        var email = VolunteerCoordinatorApp.NewEmail();
        var id = await _app.SignUpAsync(email);
        await Eventually.Until(() => Task.FromResult(SignedUpEventsFor(email)), e => e.Count > 0, "the first sign-up is sent");
        await _app.WaitForOutboxDrainedAsync();
        using var client = _app.CreateClient();

        var answer = await client.PostJsonAsync("/volunteers", Form("  " + email.ToUpperInvariant() + " ", name: "Someone Else"));

        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(409, answer.Body.GetProperty("status").GetInt32());
        Assert.Equal(id, answer.Body.GetProperty("volunteer").GetProperty("id").GetGuid());
        Assert.Equal($"/volunteers/{id}", answer.Body.GetProperty("volunteer").GetProperty("href").GetString());
        Assert.DoesNotContain(email, answer.Body.GetRawText(), StringComparison.OrdinalIgnoreCase);

        Assert.Equal(0, await _app.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()));
        Assert.Equal(1, await VolunteersWithAsync(email));
        var volunteer = await _app.QueryAsync(db => db.Volunteers.SingleAsync(v => v.Id == id));
        Assert.Equal("Sam Lee", volunteer.Name);
        await _app.WaitForOutboxDrainedAsync();
        Assert.Single(SignedUpEventsFor(email));
    }

    [Fact]
    public async Task Concurrent_sign_ups_with_one_address_create_one_volunteer_and_send_one_event()
    {
        var email = VolunteerCoordinatorApp.NewEmail();
        using var client = _app.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            client.PostJsonAsync("/volunteers", Form(i % 2 == 0 ? email : email.ToUpperInvariant()))));

        var created = Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        var id = created.Body.GetProperty("id").GetGuid();
        Assert.All(answers.Where(a => a != created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.Status);
            Assert.Equal(id, a.Body.GetProperty("volunteer").GetProperty("id").GetGuid());
        });
        Assert.Equal(1, await VolunteersWithAsync(email));

        await Eventually.Until(() => Task.FromResult(SignedUpEventsFor(email)), e => e.Count > 0, "VolunteerSignedUp is sent");
        await _app.WaitForOutboxDrainedAsync();
        Assert.Equal(id, Assert.Single(SignedUpEventsFor(email)).VolunteerId);
        Assert.False(_app.Logs.Mention("never saved"), "no losing request left an unsaved event behind");
    }

    public static TheoryData<string, string> BadForms => new()
    {
        { """{"email":"EMAIL","skills":["canvassing"]}""", "name" },
        { """{"name":"   ","email":"EMAIL"}""", "name" },
        { $$"""{"name":"{{new string('n', 201)}}","email":"EMAIL"}""", "name" },
        { """{"name":"Kim"}""", "email" },
        { """{"name":"Kim","email":"not-an-address"}""", "email" },
        { """{"name":"Kim","email":"kim@localhost"}""", "email" },
        { """{"name":"Kim","email":"Kim <kim@example.org>"}""", "email" },
        { $$"""{"name":"Kim","email":"{{new string('k', 250)}}@example.org"}""", "email" },
        { """{"name":"Kim","email":"EMAIL","phone":"555-12"}""", "phone" },
        { """{"name":"Kim","email":"EMAIL","phone":"+1 (555) 010-4477"}""", "phone" },
        { """{"name":"Kim","email":"EMAIL","phone":"1234567890123456"}""", "phone" },
        { """{"name":"Kim","email":"EMAIL","skills":["canvassing","juggling"]}""", "skills[1]" },
        { """{"name":"Kim","email":"EMAIL","skills":["canvassing",null]}""", "skills[1]" },
        { """{"name":"Kim","email":"EMAIL","skills":["driving","canvassing","driving"]}""", "skills[2]" },
        { """{"name":"Kim","email":"EMAIL","skills":["driving","canvassing","data-entry","translation","event-support","phone-banking","driving","driving","driving","driving","driving"]}""", "skills" },
        { """{"name":"Kim","email":"EMAIL","availability":["weekend-mornings","sunday-brunch"]}""", "availability[1]" },
        { """{"name":"Kim","email":"EMAIL","availability":["weekend-mornings","weekend-mornings"]}""", "availability[1]" },
        { """{"name":"Kim","email":"EMAIL","skills":"phone-banking"}""", "$.skills" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task A_bad_sign_up_answers_400_naming_the_field_and_writes_nothing(string form, string field)
    {
        var email = VolunteerCoordinatorApp.NewEmail();
        using var client = _app.CreateClient();

        var answer = await client.PostRawAsync("/volunteers", form.Replace("EMAIL", email, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Contains(field, answer.ErrorFields);
        Assert.Equal(0, await VolunteersWithAsync(email));
        Assert.Equal(0, await _app.QueryAsync(db => db.Set<OutboxMessage>().CountAsync()));
        Assert.Empty(SignedUpEventsFor(email));
    }

    [Fact]
    public async Task A_sign_up_with_several_mistakes_names_each_field()
    {
        using var client = _app.CreateClient();

        var answer = await client.PostRawAsync("/volunteers",
            """{"name":"Kim","email":"kim@localhost","phone":"12","skills":["juggling","canvassing"],"availability":["never"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(["availability[0]", "email", "phone", "skills[0]"], answer.ErrorFields.Order());
    }

    [Fact]
    public async Task Only_the_name_and_email_are_required()
    {
        var email = VolunteerCoordinatorApp.NewEmail();
        using var client = _app.CreateClient();

        var answer = await client.PostRawAsync("/volunteers", $$"""{"name":"Kim","email":"{{email}}"}""");

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.Equal(JsonValueKindNull, answer.Body.GetProperty("phone").ValueKind);
        Assert.Empty(answer.Body.GetProperty("skills").EnumerateArray());
        Assert.Empty(answer.Body.GetProperty("availability").EnumerateArray());
    }

    const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task An_unknown_volunteer_is_404()
    {
        using var client = _app.CreateClient();

        var answer = await client.GetAnswerAsync($"/volunteers/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Volunteers_are_listed_in_sign_up_order_by_page_and_filtered_by_skill()
    {
        var translator = await _app.SignUpAsync(skills: ["translation", "driving"]);
        var driver = await _app.SignUpAsync(skills: ["driving"]);
        using var client = _app.CreateClient();

        var drivers = await client.GetAnswerAsync("/volunteers?skill=driving&pageSize=100");
        Assert.Equal(HttpStatusCode.OK, drivers.Status);
        var driverIds = drivers.Body.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("id").GetGuid()).ToList();
        Assert.True(driverIds.IndexOf(translator) >= 0 && driverIds.IndexOf(translator) < driverIds.IndexOf(driver), "both, in sign-up order");
        Assert.All(drivers.Body.GetProperty("items").EnumerateArray(),
            v => Assert.Contains("driving", v.GetProperty("skills").EnumerateArray().Select(s => s.GetString())));
        Assert.Equal(driverIds.Count, drivers.Body.GetProperty("totalCount").GetInt32());

        var translators = await client.GetAnswerAsync("/volunteers?skill=translation&pageSize=100");
        var translatorIds = translators.Body.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(translator, translatorIds);
        Assert.DoesNotContain(driver, translatorIds);

        var total = await _app.QueryAsync(db => db.Volunteers.CountAsync());
        var secondPage = await client.GetAnswerAsync("/volunteers?page=2&pageSize=1");
        Assert.Equal(2, secondPage.Body.GetProperty("page").GetInt32());
        Assert.Equal(1, secondPage.Body.GetProperty("pageSize").GetInt32());
        Assert.Equal(total, secondPage.Body.GetProperty("totalCount").GetInt32());
        var second = await _app.QueryAsync(db => db.Volunteers.OrderBy(v => v.SignedUpAt).ThenBy(v => v.Id).Skip(1).FirstAsync());
        Assert.Equal(second.Id, Assert.Single(secondPage.Body.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
    }

    [Theory]
    [InlineData("/volunteers?skill=juggling", "skill")]
    [InlineData("/volunteers?page=0", "page")]
    [InlineData("/volunteers?pageSize=101", "pageSize")]
    public async Task A_bad_volunteer_query_answers_400_naming_the_parameter(string path, string field)
    {
        using var client = _app.CreateClient();

        var answer = await client.GetAnswerAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains(field, answer.ErrorFields);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_known_skills_and_availability()
    {
        using var client = _app.CreateClient();

        var document = await client.GetAnswerAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, document.Status);
        var schema = document.Body.GetProperty("components").GetProperty("schemas").GetProperty("SignUpRequest");
        Assert.Equal(["email", "name"], schema.GetProperty("required").EnumerateArray().Select(v => v.GetString()).Order());
        var form = schema.GetProperty("properties");
        Assert.Equal(VolunteerSkills.All, form.GetProperty("skills").GetProperty("items").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(VolunteerAvailability.All,
            form.GetProperty("availability").GetProperty("items").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
    }
}
