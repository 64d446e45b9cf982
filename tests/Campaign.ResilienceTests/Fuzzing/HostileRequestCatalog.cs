using System.Text.Json.Nodes;
using Campaign.Testing;
using static Campaign.ResilienceTests.Fuzzing.Fuzzer;

namespace Campaign.ResilienceTests.Fuzzing;

/// <summary>The hostile requests for each service's endpoints. Everything here must be answered 4xx with problem details.</summary>
public static class HostileRequestCatalog
{
    /// <summary>Hostile requests per endpoint; the suite sends at least this many to every endpoint that takes input.</summary>
    public static int PerEndpoint { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("CAMPAIGN_FUZZ_REQUESTS_PER_ENDPOINT"), out var n) && n > 0 ? n : 1000;

    const string ValidPastDate = "2025-01-15";

    static readonly string[] Pages = ["0", "-1", "-2147483648", "abc", "1.5", "1e3", "2147483648", "99999999999999999999", "0x10", "１", "' OR 1=1", "1;DROP TABLE x"];
    static readonly string[] PageSizes = ["0", "-1", "101", "1000", "1000000", "2147483648", "abc", "5.5", "%00"];
    static readonly string[] GoodPages = ["1", "2"];
    static readonly string[] GoodPageSizes = ["1", "20", "100"];

    /// <summary>Bad values of a person's name and email address, shared by donors and volunteers.</summary>
    static IEnumerable<BadField> PersonFields()
    {
        yield return new("name", null, "name missing");
        yield return new("name", "null", "name null");
        yield return new("name", "\"\"", "name empty");
        yield return new("name", "\"   \\t  \"", "name blank");
        yield return new("name", Quote(Chars(201)), "name 201 chars");
        yield return new("name", Quote(Chars(100_000)), "name 100,000 chars");
        yield return new("name", Quote(Chars(2_000_000, 'é')), "name 2,000,000 chars");
        yield return new("name", "\"Ann\\u0000Lee\"", "name with NUL");
        yield return new("name", "\"\\u0000\"", "name only NUL");
        yield return new("name", "\"Ann \\uD800 Lee\"", "name with lone surrogate");
        foreach (var wrong in NotAString)
            yield return new("name", wrong, $"name of wrong type {wrong}");

        // Missing, null or blank email is a donor without one (a check or cash gift): valid, not hostile.
        foreach (var email in new[]
                 {
                     "not-an-email", "a@b", "a@b.", "@example.org", "a b@example.org", "a@example.org b", "a@@example.org",
                     "Ann Lee <ann@example.org>", "ann@example..org.", ".@.", Chars(250) + "@example.org", "ann@" + Chars(260) + ".org",
                     "ann\u0000@example.org", "ann@exa\u0000mple.org", "ann@example.org\r\nBcc: x@example.org",
                     "ünïcödé", "ann@-", "ann@.org",
                 })
        {
            yield return new("email", Quote(email), $"email '{Printable(email)}'");
        }
        foreach (var injection in Injections)
            yield return new("email", Quote(injection), $"email injection '{Printable(injection)}'");
        foreach (var wrong in NotAString)
            yield return new("email", wrong, $"email of wrong type {wrong}");
    }

    // ------------------------------------------------------------------------------------------------------------- tokens

    /// <summary>
    /// Each endpoint of <paramref name="requests"/> once with every hostile Authorization header: tokens that are valid but for
    /// one flaw (made with the issuer's key), and headers that are no token at all. Each must be a 401 with problem details.
    /// </summary>
    public static List<HostileRequest> Tokens(IEnumerable<HostileRequest> requests, string audience)
    {
        IEnumerable<(string Kind, string Value)> headers = AuthorizationMatrix.HostileTokens(audience).Select(t => (t.Kind, "Bearer " + t.Token)).Concat(
        [
            ("an empty bearer", "Bearer"),
            ("a bearer of spaces", "Bearer      "),
            ("a basic credential", "Basic " + Convert.ToBase64String("campaign:password"u8.ToArray())),
            ("an unknown scheme", "Token abc.def.ghi"),
            ("three dots", "Bearer ..."),
            ("five parts (an encrypted token's shape)", "Bearer a.b.c.d.e"),
            ("a header that is not base64url", "Bearer ey!!.ey$$.sig%%"),
            ("a 16 KB token", "Bearer " + new string('a', 16 * 1024)),
            ("a token with an injection", "Bearer ' OR 1=1 --.x.y"),
        ]);
        return [.. requests.GroupBy(r => r.Endpoint).Select(g => g.First()).SelectMany(request => headers.Select(header =>
            request with
            {
                Kind = $"hostile token: {header.Kind}",
                Headers = [new KeyValuePair<string, string>("Authorization", header.Value)],
            }))];
    }

    // ------------------------------------------------------------------------------------------------------------- finance

    /// <param name="fuzzer">The seeded generator.</param>
    /// <param name="donorId">A registered donor who has not given yet: a valid contribution would secure them.</param>
    /// <param name="contribution">Another donor's contribution (donor id, contribution id) of 100.00 received on
    /// <see cref="ValidPastDate"/>, not refunded: a valid refund or void would write a ledger entry.</param>
    public static List<HostileRequest> Finance(Fuzzer fuzzer, Guid donorId, (Guid DonorId, Guid Id) contribution)
    {
        ArgumentNullException.ThrowIfNull(fuzzer);
        var requests = new List<HostileRequest>();

        // POST /donors
        JsonObject Donor(int i) => new()
        {
            ["name"] = $"Fuzz Donor {i}",
            ["email"] = $"fuzz-donor-{i}@fuzz.example.org",
            ["address"] = new JsonObject { ["line1"] = "1 Main St", ["city"] = "Springfield", ["state"] = "IL", ["postalCode"] = "62701" },
            ["employer"] = "Acme",
            ["occupation"] = "Engineer",
        };
        requests.AddRange(fuzzer.JsonEndpoint("POST /donors", HttpMethod.Post, _ => "/donors", Donor, [.. PersonFields(), .. DonorFields()],
            PerEndpoint));

        // POST /donors/{id}/contributions: bad bodies to a real donor, bad Idempotency-Keys with good bodies, unknown donors.
        static JsonObject Contribution(int i) => new()
        {
            ["amount"] = 25 + (i % 100),
            ["currency"] = "USD",
            ["receivedOn"] = ValidPastDate,
            ["method"] = "card",
        };
        var contributions = $"/donors/{donorId}/contributions";
        requests.AddRange(fuzzer.JsonEndpoint("POST /donors/{id}/contributions", HttpMethod.Post, _ => contributions, Contribution,
            [.. ContributionFields()], PerEndpoint - 100));
        string[] badKeys = [Chars(101), "ключ", "key\twith\ttab", "key\u007f", "😀"];
        foreach (var key in badKeys)
        {
            requests.Add(new HostileRequest("POST /donors/{id}/contributions", $"Idempotency-Key '{Printable(key)}'", HttpMethod.Post,
                contributions, System.Text.Encoding.UTF8.GetBytes(Contribution(0).ToJsonString()), "application/json",
                [new("Idempotency-Key", key)]));
        }
        requests.Add(new HostileRequest("POST /donors/{id}/contributions", "two Idempotency-Keys", HttpMethod.Post, contributions,
            System.Text.Encoding.UTF8.GetBytes(Contribution(0).ToJsonString()), "application/json",
            [new("Idempotency-Key", "a"), new("Idempotency-Key", "b")]));
        requests.AddRange(fuzzer.Ids("POST /donors/{id}/contributions", HttpMethod.Post, "/donors", "/contributions",
            100 - badKeys.Length - 1, Contribution(0).ToJsonString()));

        // GET /donors, GET /donors/{id}, GET /donors/{id}/contributions/{id}
        requests.AddRange(fuzzer.Query("GET /donors", "/donors",
            new Dictionary<string, string[]>
            {
                ["page"] = [.. Pages, "2147483647", "1000000000"],
                ["pageSize"] = PageSizes,
                ["name"] = ["\u0000", "Ann\u0000"],
                ["email"] = ["\u0000", "a\u0000@example.org"],
            },
            new Dictionary<string, string[]> { ["page"] = GoodPages, ["pageSize"] = GoodPageSizes, ["name"] = ["Fuzz"], ["email"] = ["x@example.org"] },
            PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /donors/{id}", HttpMethod.Get, "/donors", "", PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /donors/{id}/contributions/{id}", HttpMethod.Get, $"/donors/{donorId}/contributions", "", PerEndpoint));

        // GET /reports/itemized-contributors
        requests.AddRange(fuzzer.Query("GET /reports/itemized-contributors", "/reports/itemized-contributors",
            new Dictionary<string, string[]>
            {
                ["year"] = ["", "1999", "2101", "0", "-2024", "abc", "2024.5", "99999999999", "2024; DROP TABLE \"Donors\"", "' OR 1=1", "２０２４", "MMXXIV", "0x7E8"],
            },
            new Dictionary<string, string[]> { ["year"] = ["2024"] },
            PerEndpoint));
        requests.Add(new HostileRequest("GET /reports/itemized-contributors", "year missing", HttpMethod.Get, "/reports/itemized-contributors", null, null, []));

        // Refunds and voids of a real contribution: every bad field refused (a bad amount or date as 400 or 422), nothing written.
        var adjust = $"/donors/{contribution.DonorId}/contributions/{contribution.Id}";
        static JsonObject Refund(int i) => new() { ["amount"] = 1 + (i % 50), ["refundedOn"] = ValidPastDate, ["reason"] = $"Fuzz refund {i}" };
        requests.AddRange(fuzzer.JsonEndpoint("POST /donors/{id}/contributions/{id}/refunds", HttpMethod.Post, _ => adjust + "/refunds", Refund,
            [.. RefundFields()], PerEndpoint / 4));
        static JsonObject Void(int i) => new() { ["reason"] = $"Fuzz void {i}" };
        requests.AddRange(fuzzer.JsonEndpoint("POST /donors/{id}/contributions/{id}/void", HttpMethod.Post, _ => adjust + "/void", Void,
            [.. ReasonFields()], PerEndpoint / 4));
        requests.AddRange(fuzzer.Ids("POST /donors/{id}/contributions/{id}/void", HttpMethod.Post, $"/donors/{contribution.DonorId}/contributions",
            "/void", PerEndpoint / 8, Void(0).ToJsonString()));

        // The ledger and Schedule A: bad filters, periods and dates.
        string[] badDates = ["", "2030-13-01", "2030-02-30", "30/01/2030", "yesterday", "2030-01-01T00:00:00Z' OR 1=1", "\u0000"];
        requests.AddRange(fuzzer.Query("GET /contributions", "/contributions",
            new Dictionary<string, string[]>
            {
                ["receivedFrom"] = badDates[1..], // empty is no filter
                ["minAmount"] = ["abc", "1e400", "NaN", "--1"],
                ["method"] = ["bitcoin", "2", "card,check", "\u0000"],
                ["state"] = ["pending", "Voided", "\u0000"],
                ["zip"] = ["1234", "123456", "abcde", "12345-67", "' OR 1=1"],
                ["sort"] = ["name", "-", "amount;DROP TABLE \"Donors\""],
                ["page"] = Pages,
                ["pageSize"] = PageSizes,
            },
            new Dictionary<string, string[]> { ["page"] = GoodPages, ["pageSize"] = GoodPageSizes, ["employer"] = ["Acme", "%_\\"] },
            PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /donors/{id}/contributions", HttpMethod.Get, "/donors", "/contributions", PerEndpoint / 4));
        requests.AddRange(fuzzer.Query("GET /reports/schedule-a", "/reports/schedule-a",
            new Dictionary<string, string[]>
            {
                ["period"] = ["2030-q4", "2031-pre-general", "2030-mid-year", "2030-13", "1999-q1", "q1", "2030-Q1", "2030-q1' OR 1=1", "\u0000"],
                ["from"] = badDates,
                ["to"] = badDates,
            },
            new Dictionary<string, string[]> { ["from"] = ["2030-01-01"], ["to"] = ["2030-12-31"] },
            PerEndpoint / 4));

        // Outbox administration: nothing to read from the caller but the id.
        requests.AddRange(fuzzer.Ids("POST /admin/outbox/parked/{id}/release", HttpMethod.Post, "/admin/outbox/parked", "/release", PerEndpoint));
        requests.AddRange(WrongMethods("GET /admin/outbox/parked", "/admin/outbox/parked", HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch));
        requests.AddRange(WrongMethods("/donors", "/donors", HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch));
        requests.AddRange(UnknownPaths("finance"));
        return requests;
    }

    /// <summary>A refund's fields: a missing or null amount is a full refund (valid), so it is not among them.</summary>
    static IEnumerable<BadField> RefundFields()
    {
        foreach (var amount in new[] { "0", "-1", "0.001", "100.01", "1e28", "-79228162514264337593543950335" })
            yield return new("amount", amount, $"amount {amount}");
        foreach (var wrong in NotANumber)
            yield return new("amount", wrong, $"amount of wrong type {wrong}");
        yield return new("refundedOn", null, "refundedOn missing");
        foreach (var date in new[] { "null", "\"\"", "\"2025-13-01\"", "\"2025-02-30\"", "\"2999-01-01\"", "\"2025-01-14\"", "\"yesterday\"", "20250115" })
            yield return new("refundedOn", date, $"refundedOn {date}");
        foreach (var field in ReasonFields())
            yield return field;
    }

    static IEnumerable<BadField> ReasonFields()
    {
        yield return new("reason", null, "reason missing");
        foreach (var reason in new[] { "null", "\"\"", "\"   \"", Quote(Chars(501)), "\"Lost\\u0000\"" })
            yield return new("reason", reason, $"reason {Printable(reason)}");
        foreach (var wrong in NotAString)
            yield return new("reason", wrong, $"reason of wrong type {wrong}");
    }

    static IEnumerable<BadField> DonorFields()
    {
        foreach (var wrong in new[] { "\"1 Main St, Springfield\"", "[]", "42", "true", "{}" })
            yield return new("address", wrong, $"address {wrong}");
        foreach (var (field, values) in new (string, string[])[]
                 {
                     ("address.line1", ["", "  ", Chars(201)]),
                     ("address.line2", [Chars(201)]),
                     ("address.city", ["", Chars(101)]),
                     ("address.state", ["", "X", "XX", "ZZ", "New York", "NYC", "I L", "1L", "\u0000\u0000"]),
                     ("address.postalCode", ["", "1234", "ABCDE", "12345-", "123456", "12345-67890", "1234-56789", Chars(11, '1'), "12 345"]),
                 })
        {
            if (field != "address.line2")
                yield return new(field, null, $"{field} missing");
            foreach (var value in values)
                yield return new(field, Quote(value), $"{field} '{Printable(value)}'");
            // Free-text lines may hold any text: there an injection must come with a length that is refused.
            var freeText = field is "address.line1" or "address.line2" or "address.city";
            foreach (var injection in Injections)
                yield return new(field, Quote(injection + (freeText ? Chars(201) : "")), $"{field} injection '{Printable(injection)}'{(freeText ? " + 201 chars" : "")}");
            foreach (var wrong in NotAString)
                yield return new(field, wrong, $"{field} of wrong type {wrong}");
        }
        // Employer and occupation are optional free text: only their length and type can be wrong.
        foreach (var field in new[] { "employer", "occupation" })
        {
            yield return new(field, Quote(Chars(201)), $"{field} 201 chars");
            yield return new(field, Quote(Chars(1_000_000)), $"{field} 1,000,000 chars");
            foreach (var wrong in NotAString)
                yield return new(field, wrong, $"{field} of wrong type {wrong}");
        }
    }

    static IEnumerable<BadField> ContributionFields()
    {
        yield return new("amount", null, "amount missing");
        foreach (var amount in new[]
                 {
                     "null", "0", "-0", "0.00", "-1", "-0.01", "-1000000", "-1e9", "0.001", "12.345", "0.0000000000000000000000000001",
                     "1000000.01", "1000001", "1e9", "1e28", "79228162514264337593543950335", "-79228162514264337593543950335",
                 })
        {
            yield return new("amount", amount, $"amount {amount}");
        }
        foreach (var wrong in NotANumber)
            yield return new("amount", wrong, $"amount of wrong type {wrong}");

        yield return new("currency", null, "currency missing");
        foreach (var currency in new[]
                 {
                     "", " ", "usd", "Usd", "uSD", "US", "USDD", "EUR", "XXX", "GBP", "JPY", "US$", "$", "💵", "USD ", " USD", "U\u0000D",
                     "USD\u0000", "ＵＳＤ", "840", Chars(1000, 'U'),
                 })
        {
            yield return new("currency", Quote(currency), $"currency '{Printable(currency)}'");
        }
        yield return new("currency", "null", "currency null");
        foreach (var injection in Injections)
            yield return new("currency", Quote(injection), $"currency injection '{Printable(injection)}'");
        foreach (var wrong in NotAString)
            yield return new("currency", wrong, $"currency of wrong type {wrong}");

        yield return new("receivedOn", null, "receivedOn missing");
        foreach (var date in new[]
                 {
                     "2099-01-01", "9999-12-31", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "not a date", "", "01/02/2024",
                     "2024-1-1", "2024-01-01T00:00:00Z", "2024-01-01 00:00", "-0001-01-01", "0000-01-01", "+2024-01-01", "２０２４-01-01",
                     "today", "yesterday", "2024-01-01\u0000",
                 })
        {
            yield return new("receivedOn", Quote(date), $"receivedOn '{Printable(date)}'");
        }
        foreach (var wrong in new[] { "null", "20240101", "true", "{}", "[]", "[2024,1,1]", "{\"year\":2024}" })
            yield return new("receivedOn", wrong, $"receivedOn of wrong type {wrong}");
        foreach (var injection in Injections)
            yield return new("receivedOn", Quote(injection), $"receivedOn injection '{Printable(injection)}'");

        yield return new("method", null, "method missing");
        foreach (var method in new[] { "", "bitcoin", "cheque", "credit-card", "2", "0", "card,check", "card, check", "card|check", " card", "card ", "Card\u0000", "none" })
            yield return new("method", Quote(method), $"method '{Printable(method)}'");
        foreach (var wrong in new[] { "null", "0", "1", "2", "99", "-1", "true", "[\"card\"]", "{}", "1.5" })
            yield return new("method", wrong, $"method of wrong type {wrong}");
        foreach (var injection in Injections)
            yield return new("method", Quote(injection), $"method injection '{Printable(injection)}'");
    }

    // ------------------------------------------------------------------------------------------------- volunteer coordinator

    /// <param name="fuzzer">The seeded generator.</param>
    /// <param name="phoneBanker">A volunteer who can phone-bank: a valid assignment would give them a call.</param>
    /// <param name="canvasser">A volunteer who cannot phone-bank.</param>
    /// <param name="openCall">A call with no volunteer: a valid assignment would assign it.</param>
    /// <param name="assignedCall">A call assigned to <paramref name="phoneBanker"/>: a valid completion would complete it.</param>
    public static List<HostileRequest> Volunteers(Fuzzer fuzzer, Guid phoneBanker, Guid canvasser, Guid openCall, Guid assignedCall)
    {
        ArgumentNullException.ThrowIfNull(fuzzer);
        var requests = new List<HostileRequest>();

        JsonObject Volunteer(int i) => new()
        {
            ["name"] = $"Fuzz Volunteer {i}",
            ["email"] = $"fuzz-volunteer-{i}@fuzz.example.org",
            ["phone"] = "+1 555 010 0000",
            ["skills"] = new JsonArray("canvassing", "driving"),
            ["availability"] = new JsonArray("weekend-mornings"),
        };
        requests.AddRange(fuzzer.JsonEndpoint("POST /volunteers", HttpMethod.Post, _ => "/volunteers", Volunteer,
            [.. PersonFields(), .. VolunteerFields()], PerEndpoint));

        requests.AddRange(fuzzer.Query("GET /volunteers", "/volunteers",
            new Dictionary<string, string[]>
            {
                ["page"] = [.. Pages, "2147483647", "1000000000"],
                ["pageSize"] = PageSizes,
                ["skill"] = ["", "flying", "PHONE-BANKING", "phone-banking ", "phone banking", "\u0000", .. Injections],
            },
            new Dictionary<string, string[]> { ["page"] = GoodPages, ["pageSize"] = GoodPageSizes, ["skill"] = ["canvassing", "phone-banking"] },
            PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /volunteers/{id}", HttpMethod.Get, "/volunteers", "", PerEndpoint));

        requests.AddRange(fuzzer.Query("GET /thank-you-calls", "/thank-you-calls",
            new Dictionary<string, string[]>
            {
                ["page"] = [.. Pages, "2147483647", "1000000000"],
                ["pageSize"] = PageSizes,
                ["status"] = ["", "done", "OPEN", "open ", "cancelled", "\u0000", .. Injections],
            },
            new Dictionary<string, string[]> { ["page"] = GoodPages, ["pageSize"] = GoodPageSizes, ["status"] = ["open", "assigned", "completed"] },
            PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /thank-you-calls/{id}", HttpMethod.Get, "/thank-you-calls", "", PerEndpoint));

        // POST /thank-you-calls/{id}/assign: bad bodies to the open call; good bodies to calls that do not exist.
        JsonObject Assignment(int i) => new() { ["volunteerId"] = phoneBanker.ToString() };
        var assignFields = new List<BadField>
        {
            new("volunteerId", null, "volunteerId missing"),
            new("volunteerId", "null", "volunteerId null"),
            new("volunteerId", Quote(canvasser.ToString()), "volunteer cannot phone-bank"),
            new("volunteerId", Quote(Guid.Empty.ToString()), "volunteerId empty GUID"),
            new("volunteerId", Quote("4b1e6c1a-0000-4000-8000-000000000000"), "volunteer does not exist"),
        };
        foreach (var id in new[] { "", "not-a-guid", "1", phoneBanker.ToString()[..^1], phoneBanker + "0", "{" + phoneBanker + "}x", "\u0000" })
            assignFields.Add(new("volunteerId", Quote(id), $"volunteerId '{Printable(id)}'"));
        foreach (var wrong in NotAString)
            assignFields.Add(new("volunteerId", wrong, $"volunteerId of wrong type {wrong}"));
        foreach (var injection in Injections)
            assignFields.Add(new("volunteerId", Quote(injection), $"volunteerId injection '{Printable(injection)}'"));
        requests.AddRange(fuzzer.JsonEndpoint("POST /thank-you-calls/{id}/assign", HttpMethod.Post, _ => $"/thank-you-calls/{openCall}/assign",
            Assignment, assignFields, PerEndpoint - 100));
        requests.AddRange(fuzzer.Ids("POST /thank-you-calls/{id}/assign", HttpMethod.Post, "/thank-you-calls", "/assign", 100,
            Assignment(0).ToJsonString()));

        // POST /thank-you-calls/{id}/complete: the body is optional, so anything that is not a bad note goes to the open call,
        // which cannot be completed; bad notes go to the assigned call, which could.
        static JsonObject Completion(int i) => new() { ["notes"] = $"Left a voicemail ({i})." };
        var completeFields = new List<BadField>
        {
            new("notes", Quote(Chars(1001)), "notes 1001 chars"),
            new("notes", Quote(Chars(1_000_000)), "notes 1,000,000 chars"),
            new("notes", "\"Called \\u0000 back\"", "notes with NUL"),
            new("notes", "\"\\uDFFF\"", "notes with lone surrogate"),
        };
        foreach (var wrong in NotAString)
            completeFields.Add(new("notes", wrong, $"notes of wrong type {wrong}"));
        requests.AddRange(fuzzer.JsonEndpoint("POST /thank-you-calls/{id}/complete", HttpMethod.Post, _ => $"/thank-you-calls/{assignedCall}/complete",
            Completion, completeFields, PerEndpoint - 100, structuralPath: _ => $"/thank-you-calls/{openCall}/complete"));
        requests.AddRange(fuzzer.Ids("POST /thank-you-calls/{id}/complete", HttpMethod.Post, "/thank-you-calls", "/complete", 100,
            Completion(0).ToJsonString()));

        requests.AddRange(WrongMethods("/volunteers", "/volunteers", HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch));
        requests.AddRange(WrongMethods("/thank-you-calls", "/thank-you-calls", HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch));
        requests.AddRange(WrongMethods("/thank-you-calls/{id}/assign", $"/thank-you-calls/{openCall}/assign", HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete));
        requests.AddRange(UnknownPaths("volunteers"));
        return requests;
    }

    static IEnumerable<BadField> VolunteerFields()
    {
        foreach (var phone in new[] { "123", "abc", "+1 (555) 010-0000", Chars(33, '1'), "++15550100000", "+", "1234567890123456", "555\u00000100", "+1 555 010 0000 ext 2", "٠١٢٣٤٥٦٧٨٩" })
            yield return new("phone", Quote(phone), $"phone '{Printable(phone)}'");
        foreach (var wrong in NotAString)
            yield return new("phone", wrong, $"phone of wrong type {wrong}");
        foreach (var injection in Injections)
            yield return new("phone", Quote(injection), $"phone injection '{Printable(injection)}'");

        foreach (var field in new[] { "skills", "availability" })
        {
            var known = field == "skills" ? "phone-banking" : "weekend-mornings";
            foreach (var wrong in new[]
                     {
                         "[\"flying\"]", $"[\"{known}\",\"{known}\"]", "[null]", "[\"\"]", $"[\"{known.ToUpperInvariant()}\"]", $"[\" {known}\"]",
                         $"\"{known}\"", "[1]", "{}", "42", "true", "[[\"a\"]]", "[{}]", $"[\"{known}\\u0000\"]",
                         "[" + string.Join(",", Enumerable.Repeat($"\"{known}\"", 10_000)) + "]",
                         "[" + string.Join(",", Enumerable.Range(0, 11).Select(n => $"\"x{n}\"")) + "]",
                     })
            {
                yield return new(field, wrong, $"{field} {Printable(wrong)}");
            }
            foreach (var injection in Injections)
                yield return new(field, $"[{Quote(injection)}]", $"{field} injection '{Printable(injection)}'");
        }
    }

    // -------------------------------------------------------------------------------------------------------- communications

    public static List<HostileRequest> Communications(Fuzzer fuzzer)
    {
        ArgumentNullException.ThrowIfNull(fuzzer);
        var requests = new List<HostileRequest>();
        requests.AddRange(fuzzer.Query("GET /messages", "/messages",
            new Dictionary<string, string[]>
            {
                ["page"] = [.. Pages, "2147483647", "1000000000"],
                ["pageSize"] = PageSizes,
                ["kind"] = ["", "donor-thank-you ", "DONOR-THANK-YOU", "newsletter", "\u0000", .. Injections],
                ["status"] = ["", "sending", "SENT", "pending ", "\u0000", .. Injections],
                ["recipient"] = ["\u0000", "a\u0000@example.org"],
            },
            new Dictionary<string, string[]>
            {
                ["page"] = GoodPages, ["pageSize"] = GoodPageSizes, ["kind"] = ["donor-thank-you", "volunteer-welcome"],
                ["status"] = ["pending", "sent", "failed"], ["recipient"] = ["x@example.org"],
            },
            PerEndpoint));
        requests.AddRange(fuzzer.Ids("GET /messages/{id}", HttpMethod.Get, "/messages", "", PerEndpoint));
        requests.AddRange(WrongMethods("/messages", "/messages", HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch));
        requests.AddRange(UnknownPaths("communications"));
        return requests;
    }

    // ------------------------------------------------------------------------------------------------------------- shared

    static IEnumerable<HostileRequest> WrongMethods(string endpoint, string path, params HttpMethod[] methods) =>
        methods.Select(m => new HostileRequest(endpoint, $"method {m} not allowed", m, path, m == HttpMethod.Get ? null : "{}"u8.ToArray(),
            m == HttpMethod.Get ? null : "application/json", []));

    static IEnumerable<HostileRequest> UnknownPaths(string service) =>
        new[]
        {
            "/", "/.env", "/appsettings.json", "/web.config", "/admin", "/%2e%2e/%2e%2e/etc/passwd",
            "/api/v1/donors", "/wp-login.php", "/.git/config", "/health/..%2f..%2fadmin", "/cgi-bin/test.cgi", "/" + Chars(4000),
        }.Select(p => new HostileRequest($"unknown path ({service})", "no such path", HttpMethod.Get, p, null, null, []));

    /// <summary>For messages: control characters shown as \u escapes, long values shortened.</summary>
    static string Printable(string value)
    {
        var shown = string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return shown.Length <= 40 ? shown : shown[..40] + $"…({value.Length})";
    }
}
