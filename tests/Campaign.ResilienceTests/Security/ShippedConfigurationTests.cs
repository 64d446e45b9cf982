using System.Diagnostics;
using System.Text.RegularExpressions;
using Campaign.Testing;

namespace Campaign.ResilienceTests.Security;

/// <summary>
/// What we ship holds no credentials: no well-known default login (guest, postgres/postgres, admin/admin...), no literal
/// password in a connection string, URI or setting, and no secret file in git. Secrets come from the environment (or user
/// secrets): compose reads them from .env, the local scripts generate them into .local/ (both git-ignored).
/// </summary>
public sealed partial class ShippedConfigurationTests
{
    static readonly string Root = TestInfrastructure.RepositoryRoot;

    /// <summary>Configuration, deployment files and code of the services and shared libraries (tests and benchmarks are not shipped).</summary>
    static IEnumerable<string> ShippedFiles()
    {
        foreach (var file in new[] { "docker-compose.yml", ".env.example", "run.sh", "test.sh", ".ci/run" }.Select(f => Path.Combine(Root, f)))
        {
            if (File.Exists(file))
                yield return file;
        }
        foreach (var folder in new[] { "deploy", "services", "shared" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories))
            {
                var parts = Path.GetRelativePath(Root, file).Split(Path.DirectorySeparatorChar);
                if (parts.Any(p => p is "bin" or "obj") || parts.Contains("Migrations"))
                    continue;
                if (Path.GetExtension(file) is ".json" or ".yml" or ".yaml" or ".cs" or ".sh" or ".conf" or ".config" or ".env" or "" or ".xml" or ".props")
                    yield return file;
            }
        }
    }

    // A password given literally: Password=..., "password": "...", default_pass = ..., amqp://user:pass@. A value that is a
    // variable ($X, ${X}, %X%, {0}, an interpolation hole) or empty is not a literal.
    [GeneratedRegex("""(?<![A-Za-z_])(password|passwd|pwd|default_pass|secret|api[_-]?key)["']?\s*[=:]\s*["']?(?<value>[^\s"';,}{$%)]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex LiteralPassword();

    [GeneratedRegex("""(amqps?|postgres(ql)?|smtp)://(?<user>[^:/@\s"'$]+):(?<password>[^@\s"'$]+)@""", RegexOptions.IgnoreCase)]
    private static partial Regex UriWithPassword();

    // Well-known default logins: RabbitMQ's guest, PostgreSQL's postgres/postgres, and the usual suspects.
    [GeneratedRegex("""\bguest(:|/)guest\b|\b(postgres|admin|root|sa):(postgres|admin|root|password|secret|changeme)@""", RegexOptions.IgnoreCase)]
    private static partial Regex DefaultLogin();

    static readonly HashSet<string> WellKnownPasswords = new(StringComparer.OrdinalIgnoreCase)
    {
        "guest", "postgres", "password", "admin", "root", "secret", "changeme", "123456", "12345678", "letmein", "rabbitmq",
    };

    [Fact]
    public void No_shipped_file_holds_a_literal_password_or_a_default_login()
    {
        var findings = new List<string>();
        foreach (var file in ShippedFiles())
        {
            var relative = Path.GetRelativePath(Root, file);
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                findings.AddRange(Findings(relative, lines[i]).Select(f => $"{relative}:{i + 1}: {f}"));
        }
        Assert.True(findings.Count == 0, "credentials in shipped files:\n" + string.Join('\n', findings));
    }

    [Theory]
    [InlineData("docker-compose.yml", "      ConnectionStrings__X: Host=db;Username=x;Password=hunter2", true)]
    [InlineData("docker-compose.yml", "      ConnectionStrings__X: Host=db;Username=x;Password=${X_PASSWORD:?set X_PASSWORD in .env}", false)]
    [InlineData("docker-compose.yml", "      ConnectionStrings__RabbitMq: amqp://campaign:s3cret@rabbitmq:5672/campaign", true)]
    [InlineData("docker-compose.yml", "      RABBITMQ_DEFAULT_PASS: guest", true)]
    [InlineData("deploy/local/infra", "default_pass = $CAMPAIGN_RABBITMQ_PASSWORD", false)]
    [InlineData("deploy/local/infra", "psql -v pw=\"$2\" -U postgres:postgres@localhost", true)]
    [InlineData("services/X/appsettings.json", "  \"Password\": \"hunter2\"", true)]
    [InlineData("shared/X/Y.cs", "host.Password(Uri.UnescapeDataString(credentials[1]));", false)]
    [InlineData("shared/X/Y.cs", "var cs = \"Host=x;Password=hunter2\";", true)]
    [InlineData(".env.example", "CAMPAIGN_POSTGRES_PASSWORD=change-me-postgres", false)]
    public void The_scan_recognises_literal_credentials(string file, string line, bool finding) =>
        Assert.Equal(finding, Findings(file, line).Any());

    static IEnumerable<string> Findings(string relative, string line)
    {
        var trimmed = line.TrimStart();
        if (trimmed.StartsWith('#') || trimmed.StartsWith("//", StringComparison.Ordinal))
            yield break;
        foreach (Match match in LiteralPassword().Matches(line))
        {
            var value = match.Groups["value"].Value;
            if (!IsPlaceholder(relative, value) && !IsCode(relative, line, match))
                yield return $"literal {match.Groups[1].Value} '{Mask(value)}'";
        }
        foreach (Match match in UriWithPassword().Matches(line))
            yield return $"URI with a password for user '{match.Groups["user"].Value}'";
        if (DefaultLogin().IsMatch(line))
            yield return "well-known default login";
        if (WellKnownDefault().Match(line) is { Success: true } known && WellKnownPasswords.Contains(known.Groups["value"].Value))
            yield return $"well-known default password '{known.Groups["value"].Value}'";
    }

    // A password or user setting whose value is a well-known default (RABBITMQ_DEFAULT_PASS: guest, POSTGRES_PASSWORD: postgres).
    [GeneratedRegex("""(PASS(WORD)?|USER(NAME)?)["']?\s*[=:]\s*["']?(?<value>[A-Za-z0-9]+)["']?\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex WellKnownDefault();

    [Fact]
    public void The_example_env_file_holds_no_usable_well_known_password()
    {
        var example = Path.Combine(Root, ".env.example");
        Assert.True(File.Exists(example));
        foreach (var line in File.ReadAllLines(example).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.TrimStart().StartsWith('#')))
        {
            var (key, value) = (line[..line.IndexOf('=', StringComparison.Ordinal)], line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim());
            if (!key.EndsWith("PASSWORD", StringComparison.Ordinal))
                continue;
            Assert.DoesNotContain(value, WellKnownPasswords);
            // A placeholder that says what to do with it, never something that looks like a real secret.
            Assert.True(value.Length == 0 || value.StartsWith("change-me", StringComparison.Ordinal), $"{key} in .env.example is not a placeholder");
        }
    }

    [Fact]
    public void No_service_reads_settings_from_a_file_with_secrets()
    {
        // Secrets come from the environment (or user secrets): no appsettings file carries a connection string with a password.
        var settingsFiles = Directory.EnumerateFiles(Path.Combine(Root, "services"), "appsettings*.json", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"));
        foreach (var file in settingsFiles)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotMatch("(?i)password\\s*=", text);
            Assert.DoesNotMatch("(?i)amqps?://[^\"]*:[^\"]*@", text);
        }
    }

    [Fact]
    public async Task Secret_files_are_ignored_by_git_and_none_is_committed()
    {
        foreach (var secret in new[] { ".env", ".local/credentials.env", ".local/infra.env" })
            Assert.Equal(0, (await GitAsync("check-ignore", "-q", secret)).ExitCode);

        var tracked = (await GitAsync("ls-files")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(tracked, f => Path.GetFileName(f) is ".env" or "credentials.env" or "infra.env" || f.EndsWith(".pfx", StringComparison.Ordinal)
            || f.EndsWith(".pem", StringComparison.Ordinal) || f.EndsWith(".key", StringComparison.Ordinal) || f.Contains("secrets.json", StringComparison.Ordinal));

        var credentials = Path.Combine(Root, ".local", "credentials.env");
        if (File.Exists(credentials) && !OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(credentials);
            Assert.True((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0,
                $".local/credentials.env is readable by others ({mode})");
        }
    }

    /// <summary>change-me placeholders of .env.example (compose refuses to start without a real value in .env).</summary>
    static bool IsPlaceholder(string file, string value) =>
        value.StartsWith("change-me", StringComparison.Ordinal) && file == ".env.example";

    /// <summary>C# and shell that pass a password along (a property, a parameter, a variable), not a literal value.</summary>
    static bool IsCode(string file, string line, Match match)
    {
        var value = match.Groups["value"].Value;
        var ext = Path.GetExtension(file);
        if (ext == ".cs")
        {
            // Outside a string literal it is an identifier (Password = options.Password, host.Password(...)), not a value.
            return line[..match.Index].Count(c => c == '"') % 2 == 0;
        }
        // Shell and config: "$pw", ":'pw'" psql variables, an option name followed by a variable.
        return value.StartsWith(':') || value.StartsWith('\\') || value.Length == 0 || Regex.IsMatch(value, "^[A-Z_]+$");
    }

    static string Mask(string value) => value.Length <= 2 ? "**" : value[..2] + new string('*', Math.Min(8, value.Length - 2));

    static async Task<(int ExitCode, string Output)> GitAsync(params string[] args)
    {
        var start = new ProcessStartInfo("git", args) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
