using Campaign.Outbox.Bench;
using System.Text.Encodings.Web;
using System.Text.Json;
using Campaign.Outbox.Bench.Wolverine;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception exception) when (exception is UsageException or FormatException or OverflowException)
{
    if (exception.Message.Length == 0)
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }
    await Console.Error.WriteLineAsync(exception.Message + Environment.NewLine + Environment.NewLine + BenchOptions.Usage);
    return 2;
}

// Ctrl+C (or, once the host runs, its console lifetime's Ctrl+C / SIGTERM) stops the waits; the finally block below still
// drops the database and deletes the queue and exchange.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// Everything the run makes carries one random id, so runs never share state and cleanup knows its names.
var id = Guid.NewGuid().ToString("N")[..10];
var database = $"bench_wolverine_{id}";
var queue = $"bench-wolverine-{id}";
var exchange = queue + "-events";
using var counter = new NpgsqlCommandCounter();
var logs = new LogTally();
var recorder = new Recorder();
try
{
    Log($"database {database}, queue {queue}, exchange {exchange}");
    var connectionString = await Infrastructure.CreateDatabaseAsync(database);
    var settings = new HostSettings(connectionString, queue, exchange, options.RecoveryBatchSize, TimeSpan.FromMilliseconds(options.PollingMs));
    await using var host = await WolverineHost.StartAsync(settings, recorder, logs);
    using var stopping = host.Stopping.Register(cancel.Cancel);
    var scenarios = new Scenarios(host, recorder, counter, connectionString, cancel.Token);
    object result = options.Scenario == "s2" ? await scenarios.S2Async(options) : await scenarios.DrainAsync(options);
    var complete = result is S2Result { Complete: true } or DrainResult { Complete: true };
    if (!complete)
        Log($"incomplete: only {recorder.Count:N0} events arrived in time");
    if (recorder.Strays > 0)
        Log($"{recorder.Strays:N0} messages of earlier phases arrived during the measured one (ignored)");
    foreach (var (category, count) in logs.Counts)
        Log($"wolverine log: {count:N0} x {category}");
    Console.WriteLine(JsonSerializer.Serialize(result, result.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    return complete ? 0 : 1;
}
catch (WarmupTimeoutException exception)
{
    Log(exception.Message);
    return 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Log("cancelled");
    return 1;
}
finally
{
    await CleanupAsync("database", () => Infrastructure.DropDatabaseAsync(database));
    await CleanupAsync("queue and exchange", () => Infrastructure.DeleteBrokerObjectsAsync(queue, exchange));
}

static async Task CleanupAsync(string what, Func<Task> action)
{
    try
    {
        await action();
    }
    catch (Exception exception) when (exception is Npgsql.NpgsqlException or RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException)
    {
        Log($"cleanup of the {what} failed: {exception.Message}");
    }
}

static void Log(string message) => Console.Error.WriteLine($"[bench-wolverine] {message}");
