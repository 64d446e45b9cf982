namespace Campaign.Deployment.Tests;

/// <summary>The KEY=VALUE settings of .env.example, and throwaway env files built from them.</summary>
static class EnvFile
{
    public static string ExamplePath => Repository.PathOf(".env.example");

    public static IReadOnlyList<KeyValuePair<string, string>> ExampleSettings() =>
        File.ReadAllLines(ExamplePath)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && line.Contains('=', StringComparison.Ordinal))
            .Select(line => new KeyValuePair<string, string>(line[..line.IndexOf('=', StringComparison.Ordinal)], line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .ToList();

    public static IEnumerable<string> PasswordVariables() =>
        ExampleSettings().Select(s => s.Key).Where(key => key.EndsWith("_PASSWORD", StringComparison.Ordinal));

    /// <summary>Writes the settings to a new temporary file; the caller deletes it.</summary>
    public static string WriteTemporary(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var path = Path.Combine(Path.GetTempPath(), $"campaign-compose-{Guid.NewGuid():N}.env");
        File.WriteAllLines(path, settings.Select(s => $"{s.Key}={s.Value}"));
        return path;
    }
}
