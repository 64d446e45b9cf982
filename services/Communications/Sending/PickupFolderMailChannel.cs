using Microsoft.Extensions.Options;
using MimeKit;

namespace Communications.Sending;

/// <summary>
/// Writes each message as <c>&lt;outbound message id&gt;.eml</c> into a folder (for development, or a mail relay that watches
/// it). Written to a temporary file first and renamed, so a reader never sees half a message; sending again replaces it.
/// </summary>
public sealed class PickupFolderMailChannel(IOptions<MailOptions> options, IHostEnvironment environment) : IMailChannel
{
    public string Folder { get; } = string.IsNullOrWhiteSpace(options.Value.PickupFolder)
        ? Path.Combine(environment.ContentRootPath, ".local", "mail-pickup")
        : Path.GetFullPath(options.Value.PickupFolder, environment.ContentRootPath);

    public async Task SendAsync(Guid outboundMessageId, MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        Directory.CreateDirectory(Folder);
        var target = Path.Combine(Folder, $"{outboundMessageId}.eml");
        var temporary = Path.Combine(Folder, $".{outboundMessageId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await message.WriteToAsync(file, cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // no-op once renamed
        }
    }
}
