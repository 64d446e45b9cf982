using System.Diagnostics;
using System.Text.Json;

namespace Campaign.Deployment.Tests;

/// <summary>
/// deploy/k8s: every overlay renders with <c>kubectl kustomize</c> and passes tools/k8s-validate (Kubernetes' API schemas,
/// the operators' custom resources, the campaign's rules), offline.
/// </summary>
public sealed class KubernetesManifestsTests
{
    [Theory]
    [InlineData("local")]
    [InlineData("production")]
    public async Task The_overlay_renders_and_validates(string overlay)
    {
        var summary = JsonDocument.Parse(await ValidateAsync(await RenderAsync(overlay))).RootElement;

        Assert.True(summary.GetProperty("objects").GetInt32() > 20, $"only {summary.GetProperty("objects")} objects rendered");
        Assert.Equal(overlay == "local" ? "campaign-local" : "campaign", summary.GetProperty("namespaces").EnumerateArray().Single().GetString());
        Assert.Equal(3, summary.GetProperty("jobs").GetArrayLength());
        foreach (var service in new[] { "campaign-finance", "volunteer-coordinator", "communications" })
            Assert.True(summary.GetProperty("deployments").GetProperty(service).GetInt32() >= 2, $"{service} runs fewer than 2 instances");
        if (overlay == "production")
        {
            // Three broker nodes (a quorum survives one lost) and three instances of each database (one synchronous replica).
            Assert.Equal(3, summary.GetProperty("brokerReplicas").EnumerateArray().Single().GetInt32());
            Assert.All(summary.GetProperty("databaseInstances").EnumerateObject(), db => Assert.Equal(3, db.Value.GetInt32()));
            Assert.Equal(3, summary.GetProperty("databaseInstances").EnumerateObject().Count());
        }
    }

    [Theory]
    [InlineData("path: /health/ready", "path: /healthz", "readiness probe is not /health/ready")]
    [InlineData("  replicas: 3\n", "  replica: 3\n", "RabbitmqCluster/campaign-broker: /spec must NOT have additional properties")]
    [InlineData("minReplicas: 2", "minReplicas: two", "minReplicas must be integer")]
    [InlineData("Password=$(DB_PASSWORD)", "Password=hunter2", "holds a secret literally")]
    public async Task The_validator_refuses_a_broken_manifest(string from, string to, string said)
    {
        var rendered = await RenderAsync("production");
        Assert.Contains(from, rendered, StringComparison.Ordinal);
        var (exitCode, output) = await RunAsync("node", [Repository.PathOf("tools/k8s-validate/validate.mjs")], rendered.Replace(from, to, StringComparison.Ordinal));
        Assert.Equal(1, exitCode);
        Assert.Contains(said, output, StringComparison.Ordinal);
    }

    static async Task<string> RenderAsync(string overlay)
    {
        var (exitCode, output) = await RunAsync("kubectl", ["kustomize", Repository.PathOf($"deploy/k8s/overlays/{overlay}")]);
        Assert.True(exitCode == 0, $"kubectl kustomize deploy/k8s/overlays/{overlay} exited with {exitCode}:\n{output}");
        return output;
    }

    static async Task<string> ValidateAsync(string rendered)
    {
        Assert.True(Directory.Exists(Repository.PathOf("tools/k8s-validate/node_modules")),
            "tools/k8s-validate/node_modules is missing: npm ci --prefix tools/k8s-validate (./test.sh runs it)");
        var (exitCode, output) = await RunAsync("node", [Repository.PathOf("tools/k8s-validate/validate.mjs")], rendered);
        Assert.True(exitCode == 0, $"tools/k8s-validate found problems:\n{output}");
        return output;
    }

    /// <summary>Runs a program with <paramref name="input"/> on its standard input; its standard output (and error on failure).</summary>
    static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string? input = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed: deploy/local/infra up installs it ({e.Message})", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(input ?? "");
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            // kustomize warns on stderr about the fields kept for older kubectl versions: only a failure's stderr matters.
            return (process.ExitCode, process.ExitCode == 0 ? await output : await output + await errors);
        }
    }
}
