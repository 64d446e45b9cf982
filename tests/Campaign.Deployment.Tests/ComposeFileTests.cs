using System.Text.RegularExpressions;

namespace Campaign.Deployment.Tests;

public sealed class ComposeFileTests
{
    [Fact]
    public async Task Compose_file_is_valid_with_the_example_settings()
    {
        var result = await DockerCompose.ValidateAsync(EnvFile.ExamplePath);

        Assert.True(result.ExitCode == 0, $"docker-compose config failed ({result.ExitCode}):\n{result.Output}");
    }

    [Fact]
    public async Task Compose_file_is_refused_with_an_empty_env_file()
    {
        var empty = EnvFile.WriteTemporary([]);
        try
        {
            var result = await DockerCompose.ValidateAsync(empty);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(EnvFile.PasswordVariables(), variable => result.Output.Contains($"set {variable} in .env", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(empty);
        }
    }

    public static TheoryData<string> PasswordVariables() => new(EnvFile.PasswordVariables());

    [Theory]
    [MemberData(nameof(PasswordVariables))]
    public async Task Compose_file_is_refused_without_each_password_and_names_it(string variable)
    {
        var withoutIt = EnvFile.WriteTemporary(EnvFile.ExampleSettings().Where(s => s.Key != variable));
        try
        {
            var result = await DockerCompose.ValidateAsync(withoutIt);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains($"set {variable} in .env", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(withoutIt);
        }
    }

    [Fact]
    public void Every_password_the_compose_file_uses_is_required_and_has_no_default()
    {
        var compose = File.ReadAllText(Repository.PathOf("docker-compose.yml"));
        var uses = Regex.Matches(compose, @"\$\{(?<name>[A-Z0-9_]*PASSWORD[A-Z0-9_]*)(?<op>:?[-?+])?").ToList();

        Assert.NotEmpty(uses);
        Assert.All(uses, use => Assert.True(use.Groups["op"].Value == ":?",
            $"${{{use.Groups["name"].Value}}} must be written ${{{use.Groups["name"].Value}:?set {use.Groups["name"].Value} in .env}}"));
        Assert.Equal(
            uses.Select(u => u.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal),
            EnvFile.PasswordVariables().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Example_settings_are_obvious_placeholders()
    {
        var passwords = EnvFile.ExampleSettings().Where(s => s.Key.EndsWith("_PASSWORD", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(passwords);
        Assert.All(passwords, s => Assert.StartsWith("change-me", s.Value, StringComparison.Ordinal));
    }
}
