using System.Collections.Concurrent;

namespace Campaign.Testing;

/// <summary>
/// The Maildir the local SMTP server writes every accepted mail into (<c>CAMPAIGN_MAIL_DIR</c>), shared by every test and
/// run: a test counts the mails to a recipient address only it uses. Reads only each file's headers, once per file.
/// </summary>
public sealed class Maildir
{
    // File name -> its To: address, upper-case. A delivered mail's file never changes (it may move from new/ to cur/).
    readonly ConcurrentDictionary<string, string> _recipients = new(StringComparer.Ordinal);

    public static string Folder => TestInfrastructure.Get("CAMPAIGN_MAIL_DIR");

    /// <summary>How many mails went to <paramref name="recipient"/> (case-insensitive).</summary>
    public int CountTo(string recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var wanted = recipient.Trim().ToUpperInvariant();
        return Scan().Count(r => r == wanted);
    }

    /// <summary>How many mails went to addresses ending with <paramref name="suffix"/> (a run's email domain).</summary>
    public int CountToDomain(string suffix)
    {
        ArgumentNullException.ThrowIfNull(suffix);
        var wanted = suffix.ToUpperInvariant();
        return Scan().Count(r => r.EndsWith(wanted, StringComparison.Ordinal));
    }

    /// <summary>The full text of each mail to <paramref name="recipient"/>.</summary>
    public IReadOnlyList<string> MailsTo(string recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var wanted = recipient.Trim().ToUpperInvariant();
        var mails = new List<string>();
        foreach (var file in Files())
        {
            if (Recipient(file) == wanted && TryRead(file, int.MaxValue) is { } text)
                mails.Add(text);
        }
        return mails;
    }

    List<string> Scan() => [.. Files().Select(Recipient).OfType<string>()];

    static readonly string[] Subfolders = ["new", "cur"];

    static IEnumerable<string> Files() =>
        Subfolders.Select(sub => Path.Combine(Folder, sub)).Where(Directory.Exists).SelectMany(Directory.EnumerateFiles);

    string? Recipient(string file)
    {
        var name = Path.GetFileName(file).Split(':')[0]; // cur/ files get ":2,<flags>" appended
        if (_recipients.TryGetValue(name, out var known))
            return known;
        if (TryRead(file, 16 * 1024) is not { } head)
            return null;
        foreach (var line in head.Split('\n'))
        {
            if (line.Length <= 1 || line == "\r")
                break; // end of headers
            if (line.StartsWith("To:", StringComparison.OrdinalIgnoreCase))
            {
                var address = line[3..].Trim();
                var lt = address.LastIndexOf('<');
                if (lt >= 0)
                    address = address[(lt + 1)..].TrimEnd('>', ' ');
                return _recipients[name] = address.ToUpperInvariant();
            }
        }
        return null;
    }

    static string? TryRead(string file, int maxChars)
    {
        try
        {
            using var reader = new StreamReader(file);
            var buffer = new char[Math.Min(maxChars, 1 << 20)];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, read);
        }
        catch (IOException)
        {
            return null; // moved from new/ to cur/ meanwhile
        }
    }

    /// <summary>Waits until at least one mail to <paramref name="recipient"/> arrived, then returns all of them.</summary>
    public Task<IReadOnlyList<string>> WaitForMailsToAsync(string recipient, TimeSpan? timeout = null) =>
        Eventually.Until(() => Task.FromResult(MailsTo(recipient)), mails => mails.Count > 0, $"a mail to {recipient} arrives in the Maildir", timeout);
}
