using Communications.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Communications.Sending;

public static class OutboundMailExtensions
{
    /// <summary>
    /// The mail channel (SMTP when <c>Smtp:Host</c> is set, else the pickup folder), the background sender, and the
    /// wake-up on commit.
    /// </summary>
    public static IHostApplicationBuilder AddOutboundMail(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MailOptions>()
            .BindConfiguration(MailOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Mail:PollInterval must be positive.")
            .Validate(o => o.MaxConcurrentSends is >= 1 and <= 64, "Mail:MaxConcurrentSends must be between 1 and 64.")
            .Validate(o => o.MaxAttempts >= 1, "Mail:MaxAttempts must be at least 1.")
            .Validate(o => o.RetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.RetryDelay,
                "Mail:RetryDelay must be positive and Mail:MaxRetryDelay at least as long.")
            .Validate(o => o.SendTimeout > TimeSpan.Zero, "Mail:SendTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<SmtpOptions>()
            .BindConfiguration(SmtpOptions.Section)
            .Validate(o => o.Port is > 0 and <= 65535, "Smtp:Port must be a TCP port.")
            .Validate(o => MailboxAddress.TryParse(o.From, out var from) && from.Domain.Length > 0,
                "Smtp:From must be a mail address, e.g. \"Campaign <thanks@campaign.example>\".")
            .ValidateOnStart();

        builder.Services.AddSingleton<IMailChannel>(services =>
            string.IsNullOrWhiteSpace(services.GetRequiredService<IOptions<SmtpOptions>>().Value.Host)
                ? ActivatorUtilities.CreateInstance<PickupFolderMailChannel>(services)
                : ActivatorUtilities.CreateInstance<SmtpMailChannel>(services));

        builder.Services.AddSingleton<OutboundMailSignal>();
        builder.Services.AddSingleton<MailCommittedInterceptor>();
        builder.Services.ConfigureDbContext<CommunicationsDbContext>((services, options) =>
            options.AddInterceptors(services.GetRequiredService<MailCommittedInterceptor>()));
        builder.Services.AddHostedService<OutboundMailSender>();
        return builder;
    }
}
