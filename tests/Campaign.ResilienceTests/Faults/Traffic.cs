using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Campaign.ResilienceTests.Faults;

/// <summary>What one logical request (with its retries) ended as.</summary>
/// <param name="Status">The definitive HTTP status, or null when no definitive answer came before the deadline.</param>
/// <param name="Body">The response body.</param>
/// <param name="Attempts">How many times it was sent.</param>
/// <param name="Replayed">The answer was a stored response (Idempotent-Replayed).</param>
public sealed record Outcome(int? Status, string Body, int Attempts, bool Replayed)
{
    public bool Accepted => Status is >= 200 and < 300;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>A donor the traffic registered (or tried to), and what it asked for.</summary>
public sealed class DonorCase(string email, string name)
{
    public string Email { get; } = email;
    public string Name { get; } = name;
    public Guid? Id { get; set; }
    public Outcome? Registration { get; set; }

    /// <summary>The first contribution: a valid one secures the donor; <see cref="InvalidContribution"/> is refused and must not.</summary>
    public Outcome? FirstContribution { get; set; }
    public bool InvalidContribution { get; set; }
    public List<Guid> ContributionIds { get; } = [];
}

/// <summary>A volunteer the traffic signed up (or tried to).</summary>
public sealed class VolunteerCase(string email, string name)
{
    public string Email { get; } = email;
    public string Name { get; } = name;
    public Guid? Id { get; set; }
    public Outcome? SignUp { get; set; }
}

/// <summary>
/// Sustained traffic through the public HTTP APIs: donors registered and secured by a first contribution (some give again,
/// some retry with the same Idempotency-Key), volunteers signing up, and requests that must fail and leave no effect (an
/// invalid registration, an invalid first contribution, a second sign-up with a taken address, a reused key). Every write
/// that gets no definitive answer (the service died, the database restarted) is sent again until it does, with the same
/// Idempotency-Key where the API has one: so each write ends accepted or refused, and the ledger says which.
/// </summary>
public sealed class Traffic(string runToken, HttpClient finance, HttpClient volunteers, HttpClient communications)
{
    static readonly string[] FirstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"];
    static readonly TimeSpan RequestDeadline = TimeSpan.FromMinutes(3);

    long _requests, _accepted, _refusedAsIntended, _retried, _unknown, _unavailable, _n;

    /// <summary>Every address the run uses ends with this: the domain is the run's own.</summary>
    public string Domain { get; } = $"{runToken}.resilience.example";

    /// <summary>Every name the run uses contains this.</summary>
    public string NameMarker { get; } = $"Zq{runToken}";

    public ConcurrentBag<DonorCase> Donors { get; } = [];
    public ConcurrentBag<VolunteerCase> Volunteers { get; } = [];

    /// <summary>Addresses only ever sent in requests that were refused: nothing may exist or be sent for them.</summary>
    public ConcurrentBag<string> RefusedAddresses { get; } = [];

    public long Requests => Interlocked.Read(ref _requests);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long RefusedAsIntended => Interlocked.Read(ref _refusedAsIntended);
    public long Retried => Interlocked.Read(ref _retried);
    public long Unknown => Interlocked.Read(ref _unknown);

    /// <summary>Answers 503 with Retry-After: a dependency was down, the request changed nothing and was sent again.</summary>
    public long Unavailable => Interlocked.Read(ref _unavailable);

    /// <summary>Every other 5xx answer (a 500, a 503 without Retry-After): a dependency's outage must never show as one.</summary>
    public ConcurrentQueue<string> ServerErrors { get; } = new();

    /// <summary>Events the accepted requests committed: DonorSecured + ContributionReceived per first contribution, one per later one, one per volunteer.</summary>
    public long EventsCommitted =>
        Donors.Sum(d => d.ContributionIds.Count + (d.ContributionIds.Count > 0 ? 1 : 0)) + Volunteers.Count(v => v.Id is not null);

    string Next(string kind, out string name)
    {
        var n = Interlocked.Increment(ref _n);
        name = $"{FirstNames[n % FirstNames.Length]} {NameMarker}{kind}{n}";
        return $"{kind}{n}@{Domain}";
    }

    /// <summary>Runs <paramref name="workers"/> loops of mixed operations until <paramref name="stop"/>; each finishes the operation it is in.</summary>
    public Task RunAsync(int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w * 7919 + runToken.GetHashCode(StringComparison.Ordinal));
            while (!stop.IsCancellationRequested)
            {
                var pick = random.Next(100);
                if (pick < 45)
                    await DonorAsync(secure: true, extraContributions: random.Next(3) == 0 ? 1 : 0, replay: random.Next(10) == 0);
                else if (pick < 80)
                    await VolunteerAsync();
                else if (pick < 85)
                    await DonorAsync(secure: false, extraContributions: 0, replay: false);
                else if (pick < 88)
                    await InvalidRegistrationAsync();
                else if (pick < 91)
                    await DuplicateSignUpAsync();
                else if (pick < 93)
                    await ReusedKeyAsync();
                else
                    await ReadAsync(random);
            }
        })));

    /// <summary>
    /// Registers <paramref name="count"/> donors, then sends their first contributions all at once and returns when every one
    /// is answered: right after, units of work are committed whose events the relay may be sending.
    /// </summary>
    public async Task BurstAsync(int count)
    {
        var donors = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => RegisterAsync()));
        await Task.WhenAll(donors.Where(d => d.Id is not null).Select(d => ContributeAsync(d, first: true)));
    }

    /// <summary><paramref name="count"/> volunteers signing up at once.</summary>
    public Task SignUpBurstAsync(int count) => Task.WhenAll(Enumerable.Range(0, count).Select(_ => VolunteerAsync()));

    async Task DonorAsync(bool secure, int extraContributions, bool replay)
    {
        var donor = await RegisterAsync();
        if (donor.Id is null)
            return;
        if (!secure)
        {
            donor.InvalidContribution = true;
            var refused = await SendAsync(finance, () => Post($"/donors/{donor.Id}/contributions",
                new { amount = -5m, currency = "USD", receivedOn = "2025-03-01", method = "card" }, Guid.NewGuid().ToString()));
            donor.FirstContribution = refused;
            CountRefusal(refused, HttpStatusCode.BadRequest);
            return;
        }
        var key = await ContributeAsync(donor, first: true);
        for (var i = 0; i < extraContributions; i++)
            await ContributeAsync(donor, first: false);
        if (replay && key is not null)
        {
            // The same key and body again: the stored response, nothing recorded or published.
            var again = await SendAsync(finance, () => Post($"/donors/{donor.Id}/contributions", ContributionBody(donor, 0), key));
            if (again.Status != 201 || !again.Replayed)
                throw new InvalidOperationException($"a replayed contribution answered {again.Status} (replayed: {again.Replayed})");
        }
    }

    async Task<DonorCase> RegisterAsync()
    {
        var email = Next("d", out var name);
        var donor = new DonorCase(email, name);
        Donors.Add(donor);
        var key = Guid.NewGuid().ToString();
        donor.Registration = await SendAsync(finance, () => Post("/donors", new { name, email }, key));
        if (donor.Registration.Accepted)
        {
            donor.Id = donor.Registration.Json.GetProperty("id").GetGuid();
            Interlocked.Increment(ref _accepted);
        }
        return donor;
    }

    static object ContributionBody(DonorCase donor, int index) =>
        new { amount = 25m + index, currency = "USD", receivedOn = "2025-03-01", method = "card" };

    async Task<string?> ContributeAsync(DonorCase donor, bool first)
    {
        var index = donor.ContributionIds.Count;
        var key = Guid.NewGuid().ToString();
        var outcome = await SendAsync(finance, () => Post($"/donors/{donor.Id}/contributions", ContributionBody(donor, index), key));
        if (first)
            donor.FirstContribution = outcome;
        if (!outcome.Accepted)
            return null;
        lock (donor.ContributionIds)
            donor.ContributionIds.Add(outcome.Json.GetProperty("id").GetGuid());
        Interlocked.Increment(ref _accepted);
        return key;
    }

    async Task VolunteerAsync()
    {
        var email = Next("v", out var name);
        var volunteer = new VolunteerCase(email, name);
        Volunteers.Add(volunteer);
        volunteer.SignUp = await SendAsync(volunteers, () => Post("/volunteers",
            new { name, email, skills = new[] { "phone-banking" }, availability = new[] { "weekday-evenings" } }, key: null));
        if (volunteer.SignUp.Accepted)
        {
            volunteer.Id = volunteer.SignUp.Json.GetProperty("id").GetGuid();
            Interlocked.Increment(ref _accepted);
        }
        else if (volunteer.SignUp is { Status: 409, Attempts: > 1 })
        {
            // No Idempotency-Key on sign-ups: an earlier attempt committed and only its answer was lost.
            volunteer.Id = volunteer.SignUp.Json.GetProperty("volunteer").GetProperty("id").GetGuid();
            Interlocked.Increment(ref _accepted);
        }
    }

    async Task InvalidRegistrationAsync()
    {
        var email = Next("r", out _);
        RefusedAddresses.Add(email);
        var outcome = await SendAsync(finance, () => Post("/donors", new { name = "", email }, Guid.NewGuid().ToString()));
        CountRefusal(outcome, HttpStatusCode.BadRequest);
    }

    async Task DuplicateSignUpAsync()
    {
        var taken = Volunteers.FirstOrDefault(v => v.Id is not null);
        if (taken is null)
            return;
        var outcome = await SendAsync(volunteers, () => Post("/volunteers", new { name = taken.Name, email = taken.Email.ToUpperInvariant() }, key: null));
        CountRefusal(outcome, HttpStatusCode.Conflict);
    }

    async Task ReusedKeyAsync()
    {
        var donor = await RegisterAsync();
        if (donor.Id is null)
            return;
        var key = await ContributeAsync(donor, first: true);
        if (key is null)
            return;
        var outcome = await SendAsync(finance, () => Post($"/donors/{donor.Id}/contributions",
            new { amount = 999m, currency = "USD", receivedOn = "2025-03-01", method = "cash" }, key));
        CountRefusal(outcome, HttpStatusCode.UnprocessableEntity);
    }

    /// <summary>Look-ups by personal data (in a search body): the logs and traces must not keep it.</summary>
    async Task ReadAsync(Random random)
    {
        var donor = Donors.FirstOrDefault(d => d.Id is not null);
        if (donor is null)
            return;
        var (client, path, body) = random.Next(3) switch
        {
            0 => (finance, "/donors/search", (object)new { email = donor.Email }),
            1 => (finance, "/donors/search", new { name = donor.Name }),
            _ => (communications, "/messages/search", new { recipient = donor.Email }),
        };
        await SendAsync(client, () => Post(path, body, key: null));
    }

    void CountRefusal(Outcome outcome, HttpStatusCode expected)
    {
        if (outcome.Status == (int)expected)
            Interlocked.Increment(ref _refusedAsIntended);
        else if (outcome.Status is not null)
            throw new InvalidOperationException($"a request that must be refused with {(int)expected} answered {outcome.Status}: {outcome.Body}");
    }

    static HttpRequestMessage Post(string path, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (key is not null)
            request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>Sends until a definitive answer (2xx or 4xx); no answer, a timeout or a 5xx are retried with the same request.</summary>
    async Task<Outcome> SendAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        var watch = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            Interlocked.Increment(ref _requests);
            if (attempt > 1)
                Interlocked.Increment(ref _retried);
            try
            {
                using var message = request();
                using var response = await client.SendAsync(message);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                if (status < 500)
                    return new Outcome(status, body, attempt, response.Headers.Contains("Idempotent-Replayed"));
                if (status == 503 && response.Headers.RetryAfter is not null)
                    Interlocked.Increment(ref _unavailable);
                else
                    ServerErrors.Enqueue($"{status} {message.Method} {message.RequestUri}: {body[..Math.Min(body.Length, 300)]}");
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
            {
                // No answer: the process died, restarts, or the request timed out. The same request goes again.
            }
            if (watch.Elapsed > RequestDeadline)
            {
                Interlocked.Increment(ref _unknown);
                return new Outcome(null, "", attempt, false);
            }
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    public string Describe() => new StringBuilder()
        .Append($"requests sent {Requests} (retries {Retried}), accepted {Accepted}, refused as intended {RefusedAsIntended}, ")
        .Append($"no definitive answer {Unknown}, 503 while a dependency was down {Unavailable}, other 5xx {ServerErrors.Count}, ")
        .Append($"events committed {EventsCommitted}")
        .ToString();
}
