using Campaign.Testing;

namespace Communications.Tests;

/// <summary>
/// The Maildir the local SMTP server (aiosmtpd) writes every accepted mail into. Shared by every test and test run, so a
/// test finds its own mail by a recipient address no other test uses.
/// </summary>
public static class Maildir
{
    public static string Folder => TestInfrastructure.Get("CAMPAIGN_MAIL_DIR");

    /// <summary>The full text of each mail (headers and body) addressed to <paramref name="recipient"/>.</summary>
    public static IReadOnlyList<string> MailsTo(string recipient)
    {
        var mails = new List<string>();
        foreach (var sub in new[] { "new", "cur" })
        {
            var folder = Path.Combine(Folder, sub);
            if (!Directory.Exists(folder))
                continue;
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                string text;
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (IOException)
                {
                    continue; // moved from new/ to cur/ by someone meanwhile
                }
                if (text.Contains($"To: {recipient}", StringComparison.OrdinalIgnoreCase))
                    mails.Add(text);
            }
        }
        return mails;
    }

    /// <summary>Waits until at least one mail to <paramref name="recipient"/> arrived, then returns all of them.</summary>
    public static Task<IReadOnlyList<string>> WaitForMailsToAsync(string recipient, TimeSpan? timeout = null) =>
        Eventually.Until(() => Task.FromResult(MailsTo(recipient)), m => m.Count > 0, $"a mail to {recipient} arrives in the Maildir", timeout);
}
