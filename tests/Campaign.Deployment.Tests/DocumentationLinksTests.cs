using System.Text.RegularExpressions;

namespace Campaign.Deployment.Tests;

/// <summary>The docs stand on their own: every relative link in a Markdown file leads to a file or folder of the repository.</summary>
public sealed partial class DocumentationLinksTests
{
    // [text](target) and [text](target "title"); images too.
    [GeneratedRegex(@"\]\(\s*<?(?<target>[^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex Link();

    static IEnumerable<string> MarkdownFiles() =>
        Directory.EnumerateFiles(Repository.Root, "*.md", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(Repository.Root, path).Split(Path.DirectorySeparatorChar)
                .Any(part => part is "bin" or "obj" or ".local" or ".git" or "node_modules" or "TestResults"));

    [Fact]
    public void Every_relative_link_in_the_docs_leads_to_a_file_inside_the_repository()
    {
        var files = MarkdownFiles().ToList();
        Assert.Contains(files, f => f.EndsWith("README.md", StringComparison.Ordinal));

        var dead = new List<string>();
        var links = 0;
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match match in Link().Matches(lines[i]))
                {
                    var target = match.Groups["target"].Value;
                    if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is not "file" || target.StartsWith('#'))
                        continue;
                    links++;
                    var path = Uri.UnescapeDataString(target.Split('#')[0]);
                    var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
                    var inside = resolved.StartsWith(Repository.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
                    if (!inside || !(File.Exists(resolved) || Directory.Exists(resolved)))
                        dead.Add($"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}: {target}{(inside ? "" : " (outside the repository)")}");
                }
            }
        }

        Assert.True(links > 0, "no relative link was found: the pattern no longer matches the docs");
        Assert.True(dead.Count == 0, "dead links:\n" + string.Join('\n', dead));
    }

    /// <summary>The folder beside the checkout, spelled in two parts so that this file does not name it itself.</summary>
    static readonly string SiblingFolder = string.Concat("..", "/shared/");

    static readonly string SiblingDocs = string.Concat("shared", "/docs/");

    [Fact]
    public void No_doc_or_script_sends_the_reader_to_documents_outside_the_repository()
    {
        // The engineers' own notes sit beside the checkout, in a folder a user of the repository does not have.
        var outside = Directory.EnumerateFiles(Repository.Root, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetExtension(path) is ".md" or ".sh" or ".cs" or ".csproj" or ".yml" or ".yaml" || Path.GetFileName(path) is "run.sh" or "test.sh")
            .Where(path => !Path.GetRelativePath(Repository.Root, path).Split(Path.DirectorySeparatorChar)
                .Any(part => part is "bin" or "obj" or ".local" or ".git" or "node_modules" or "TestResults"))
            .Where(path => File.ReadAllText(path) is var text
                && (text.Contains(SiblingFolder, StringComparison.Ordinal) || text.Contains(SiblingDocs, StringComparison.Ordinal)))
            .Select(path => Path.GetRelativePath(Repository.Root, path))
            .ToList();
        Assert.True(outside.Count == 0, "these files point outside the repository: " + string.Join(", ", outside));
    }

    [Theory]
    [InlineData("see [the method](how-we-measure.md).", "how-we-measure.md")]
    [InlineData("![chart](img/lag.png \"Lag\")", "img/lag.png")]
    [InlineData("[outbox](docs/outbox.md#ordering-keys)", "docs/outbox.md#ordering-keys")]
    public void Links_are_recognised(string line, string target) =>
        Assert.Equal(target, Link().Match(line).Groups["target"].Value);
}
