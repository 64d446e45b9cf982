using System.Diagnostics;
using System.Text;
using Campaign.Testing;

namespace Campaign.SystemTesting;

/// <summary>The private servers' script (<c>CAMPAIGN_INFRA</c>, deploy/local/infra): <c>Infra.RunAsync("postgres", "stop")</c>.</summary>
public static class Infra
{
    /// <summary>Runs the script and returns its output; throws (with the output) if it exits non-zero.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(TestInfrastructure.Get("CAMPAIGN_INFRA"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestInfrastructure.RepositoryRoot,
        };
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"infra {string.Join(' ', args)} did not finish in 3 minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output)
        {
            return process.ExitCode == 0
                ? output.ToString()
                : throw new InvalidOperationException($"infra {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        }
    }
}
