using System.ComponentModel;
using System.Diagnostics;

namespace Campaign.Deployment.Tests;

/// <summary>Runs the docker-compose (v1) client, which validates a compose file offline, without a Docker engine.</summary>
static class DockerCompose
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary><c>docker-compose -f docker-compose.yml --env-file ENV_FILE config -q</c> in the repository root.</summary>
    public static async Task<Result> ValidateAsync(string envFile)
    {
        var executable = FindOnPath("docker-compose") ?? throw new InvalidOperationException(
            "docker-compose is not installed, so docker-compose.yml cannot be validated. " +
            "deploy/local/infra up (run by ./test.sh) installs it; or as root: " +
            "apt-get update && apt-get install -y --no-install-recommends docker-compose");

        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-f", Repository.PathOf("docker-compose.yml"), "--env-file", envFile, "config", "-q" })
            start.ArgumentList.Add(argument);

        // Only the env file may supply values: the test run's own environment (./test.sh exports
        // CAMPAIGN_RABBITMQ_PASSWORD and more) would otherwise fill in what the file leaves out.
        start.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "LANG", "LC_ALL" })
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (value is not null)
                start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("docker-compose did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"docker-compose at {executable} could not be started: {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, (await stdout) + (await stderr));
        }
    }

    static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
