using Campaign.Testing;

namespace Campaign.ResilienceTests.Support;

/// <summary>
/// The mails the local SMTP server wrote into its Maildir since a moment, by recipient: how many files, and how many distinct
/// Message-IDs (the Communications sender may hand the server one message twice if it dies between the server's accept and
/// its own commit; both copies carry the same Message-ID).
/// </summary>
public static class MailCount
{
    public static Dictionary<string, (int Files, int Distinct)> Since(DateTime sinceUtc, string recipientSuffix)
    {
        ArgumentNullException.ThrowIfNull(recipientSuffix);
        var folder = TestInfrastructure.Get("CAMPAIGN_MAIL_DIR");
        var byRecipient = new Dictionary<string, (int Files, HashSet<string> Ids)>(StringComparer.OrdinalIgnoreCase);
        foreach (var sub in new[] { "new", "cur" })
        {
            var directory = new DirectoryInfo(Path.Combine(folder, sub));
            if (!directory.Exists)
                continue;
            foreach (var file in directory.EnumerateFiles())
            {
                if (file.LastWriteTimeUtc < sinceUtc.AddSeconds(-5))
                    continue;
                var (to, messageId) = ReadHeaders(file.FullName);
                if (to is null || !to.EndsWith(recipientSuffix, StringComparison.OrdinalIgnoreCase))
                    continue;
                if (!byRecipient.TryGetValue(to, out var entry))
                    entry = (0, new HashSet<string>(StringComparer.Ordinal));
                entry.Ids.Add(messageId ?? file.Name);
                byRecipient[to] = (entry.Files + 1, entry.Ids);
            }
        }
        return byRecipient.ToDictionary(e => e.Key, e => (e.Value.Files, e.Value.Ids.Count), StringComparer.OrdinalIgnoreCase);
    }

    static (string? To, string? MessageId) ReadHeaders(string file)
    {
        string? to = null, id = null;
        try
        {
            using var reader = new StreamReader(file);
            while (reader.ReadLine() is { } line && line.Length > 0)
            {
                if (line.StartsWith("To:", StringComparison.OrdinalIgnoreCase))
                {
                    var address = line[3..].Trim();
                    var lt = address.LastIndexOf('<');
                    to = lt >= 0 ? address[(lt + 1)..].TrimEnd('>', ' ') : address;
                }
                else if (line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase))
                {
                    id = line[11..].Trim();
                }
            }
        }
        catch (IOException)
        {
            // moved from new/ to cur/ meanwhile: counted under its new name, if it was not counted already
        }
        return (to, id);
    }
}
