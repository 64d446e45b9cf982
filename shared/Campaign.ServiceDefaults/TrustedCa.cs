using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace Campaign.ServiceDefaults;

/// <summary>
/// A private certificate authority the service trusts for its broker and mail server (<c>Tls:TrustedCaFile</c>, a PEM file),
/// for servers whose certificates are not signed by one in the system's trust store: a campaign's own CA, or the local one
/// that deploy/local/infra generates. PostgreSQL's is given in its connection string (<c>Root Certificate</c>).
/// </summary>
public static class TrustedCa
{
    public const string SettingKey = "Tls:TrustedCaFile";

    /// <summary>
    /// A validation callback that accepts a certificate the system trusts, or one that chains to the configured CA with a
    /// matching name; null (the system's own validation) when no CA file is configured.
    /// </summary>
    public static RemoteCertificateValidationCallback? ValidationCallback(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[SettingKey] is not { Length: > 0 } file)
            return null;
        if (!File.Exists(file))
            throw new InvalidOperationException($"Setting '{SettingKey}' (environment variable Tls__TrustedCaFile) names '{file}', which does not exist.");
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        return (_, certificate, presentedChain, errors) => Validate(authority, certificate, presentedChain, errors);
    }

    static bool Validate(X509Certificate2 authority, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        // The name must match whoever signed it; only the chain may end at our own authority instead of the system's.
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")); // server authentication
        // Intermediates the server sent along.
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        using var presented = new X509Certificate2(certificate);
        try
        {
            return chain.Build(presented);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
                element.Certificate.Dispose();
        }
    }
}
