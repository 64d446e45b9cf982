using System.Diagnostics;
using Campaign.Testing;

namespace Campaign.ResilienceTests.Support;

/// <summary>
/// Runs tools/error-queues, the script the README tells operators to inspect and re-drive error queues with, against the
/// operators' page at <c>page</c>.
/// </summary>
public static class ErrorQueuesTool
{
    public static async Task<string> RunAsync(Uri page, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(page);
        var start = new ProcessStartInfo(Path.Combine(TestInfrastructure.RepositoryRoot, "tools", "error-queues"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestInfrastructure.RepositoryRoot,
            Environment = { ["CAMPAIGN_OPERATIONS_URL"] = page.ToString() },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"tools/error-queues {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
    }
}
