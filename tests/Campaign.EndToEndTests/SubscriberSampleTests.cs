using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Campaign.SystemTesting;
using Campaign.Testing;

namespace Campaign.EndToEndTests;

/// <summary>
/// samples/Subscriber, built against the packed Campaign.Contracts (./test.sh packs it to .local/packages first), consumes
/// DonorSecured from the running system through a queue of its own.
/// </summary>
[Trait("Category", "Faults")]
public sealed class SubscriberSampleTests(RunningSystem running) : IClassFixture<RunningSystem>
{
    static readonly TimeSpan Flow = TimeSpan.FromSeconds(90); // generous: a shared CI machine may be very busy

    [Fact]
    public async Task The_sample_subscriber_receives_DonorSecured_from_the_running_system_on_its_own_queue()
    {
        var dll = Path.Combine(TestInfrastructure.RepositoryRoot, "samples", "Subscriber", "bin", "Release", "net10.0", "Subscriber.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: ./test.sh builds it (dotnet pack shared/Campaign.Contracts -c Release -o "
            + ".local/packages, then dotnet build samples/Subscriber -c Release).");
        var queue = $"subscriber-sample-{Guid.NewGuid():N}";
        var output = new ConcurrentQueue<string>();
        using var subscriber = Start(dll, queue, output);
        try
        {
            await Eventually.Until(() => Task.FromResult(output.Any(l => l.Contains("Bus started", StringComparison.Ordinal)) || subscriber.HasExited),
                started => started, "the subscriber's bus starts", Flow);
            Assert.False(subscriber.HasExited, $"the subscriber exited: {string.Join('\n', output)}");

            var registered = await running.System.RegisterDonorAsync("Sample Subscriber Donor", running.NewEmail("subscriber"));
            Assert.True(registered.Status == HttpStatusCode.Created, $"POST /donors answered {registered.Status}: {registered.Body}");
            var donor = registered.Id!.Value;
            Assert.Equal(HttpStatusCode.Created, (await running.System.RecordContributionAsync(donor, 42m)).Status);

            await Eventually.Until(() => Task.FromResult(output.Count(l => l.Contains($"DonorSecured consumed: donor {donor}", StringComparison.Ordinal))),
                count => count == 1, "the subscriber logs the donor's DonorSecured", Flow);
        }
        finally
        {
            if (!subscriber.HasExited)
                subscriber.Kill(entireProcessTree: true);
            await subscriber.WaitForExitAsync();
            using var management = new RabbitMqManagement();
            await management.DeleteQueueAndExchangeAsync(queue);
        }
    }

    static Process Start(string dll, string queue, ConcurrentQueue<string> output)
    {
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["RabbitMq"] = TestInfrastructure.RabbitMq;
        start.Environment["Subscriber__Queue"] = queue;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
