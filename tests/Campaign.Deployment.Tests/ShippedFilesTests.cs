using System.Text.RegularExpressions;

namespace Campaign.Deployment.Tests;

public sealed partial class ShippedFilesTests
{
    // guest/guest is RabbitMQ's well-known default login: as a user name, a password or inside a URI.
    [GeneratedRegex(@"amqps?://guest\b|\bguest:guest\b|\bguest@|(user(name)?|pass(word)?|login|default_user|default_pass|RABBITMQ_DEFAULT_USER|RABBITMQ_DEFAULT_PASS)[""']?\s*[:=]\s*[""']?guest\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GuestCredentials();

    static IEnumerable<string> ShippedFiles()
    {
        string[] single = ["docker-compose.yml", ".env.example", "test.sh", "run.sh", ".ci/run"];
        foreach (var file in single.Select(Repository.PathOf).Where(File.Exists))
            yield return file;
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("deploy"), "*", SearchOption.AllDirectories))
            yield return file;
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("services"), "appsettings*.json", SearchOption.AllDirectories)
                     .Where(f => !IsBuildOutput(f)))
            yield return file;
    }

    static bool IsBuildOutput(string path) =>
        path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

    [Theory]
    [InlineData("ConnectionStrings__RabbitMq=amqp://guest:guest@localhost:5672/")]
    [InlineData("RABBITMQ_DEFAULT_USER: guest")]
    [InlineData("\"Username\": \"guest\"")]
    [InlineData("default_pass = guest")]
    public void Guest_credentials_are_recognised(string line) => Assert.Matches(GuestCredentials(), line);

    [Fact]
    public void No_shipped_file_contains_guest_credentials()
    {
        var files = ShippedFiles().ToList();
        Assert.Contains(files, f => f.EndsWith("docker-compose.yml", StringComparison.Ordinal));

        var findings = files
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, number: index + 1)))
            .Where(x => GuestCredentials().IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(Repository.Root, x.file)}:{x.number}: {x.line.Trim()}")
            .ToList();

        Assert.True(findings.Count == 0, "guest credentials shipped:\n" + string.Join('\n', findings));
    }

    [Theory]
    [InlineData("test.sh")]
    [InlineData("run.sh")]
    [InlineData(".ci/run")]
    [InlineData("deploy/local/infra")]
    [InlineData("deploy/docker/postgres-init/10-campaign-databases.sh")]
    public void Scripts_are_executable(string script)
    {
        var path = Repository.PathOf(script);
        Assert.True(File.Exists(path), $"{script} is missing");
        if (OperatingSystem.IsWindows())
            return;

        Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable (git update-index --chmod=+x {script})");
    }
}
