using System.Net.Sockets;
using System.Text;
using Campaign.SystemTesting;
using Campaign.Testing;
using Npgsql;

namespace Campaign.EndToEndTests;

/// <summary>
/// Every link of the services is encrypted: PostgreSQL over TLS (verified against the local CA), RabbitMQ over AMQPS, SMTP
/// over STARTTLS, and the servers refuse the unencrypted way in. On the services of <see cref="EmptySystem"/> (main phase).
/// </summary>
public sealed class EncryptedLinksTests(EmptySystem empty) : IClassFixture<EmptySystem>
{
    [Fact]
    public async Task Each_service_talks_to_its_database_over_TLS_and_a_connection_without_TLS_is_refused()
    {
        var databases = empty.System.Services
            .Select(s => new NpgsqlConnectionStringBuilder(s.Settings[$"ConnectionStrings__{s.Service}"]).Database!).ToArray();
        await using var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin);
        await admin.OpenAsync();
        await using var query = new NpgsqlCommand("""
            SELECT a.datname, bool_and(s.ssl), count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid
            WHERE a.datname = ANY($1) GROUP BY a.datname
            """, admin) { Parameters = { new() { Value = databases } } };
        var links = new Dictionary<string, (bool Tls, long Count)>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                links[reader.GetString(0)] = (reader.GetBoolean(1), reader.GetInt64(2));
        }

        Assert.All(databases, database => Assert.True(links.TryGetValue(database, out var link) && link.Tls,
            $"{database}: {(links.TryGetValue(database, out var l) ? $"{l.Count} connections, TLS on all: {l.Tls}" : "no connection")}"));

        var plain = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresAdmin) { SslMode = SslMode.Disable, Pooling = false };
        await using var unencrypted = new NpgsqlConnection(plain.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => unencrypted.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState); // pg_hba: hostnossl reject
    }

    [Fact]
    public async Task Each_service_talks_to_RabbitMQ_over_TLS_as_its_own_user()
    {
        var vhost = Uri.UnescapeDataString(new Uri(empty.System.Finance.Settings["ConnectionStrings__RabbitMq"]).AbsolutePath.TrimStart('/'));
        using var management = new RabbitMqManagement();

        // The management API lists a connection a few seconds after it opened.
        var connections = await Eventually.Until(async () => (await management.ConnectionsAsync()).Where(c => c.VirtualHost == vhost).ToList(),
            c => c.Select(x => x.User).Distinct().Count() >= 3, "each service's connections listed by the management API", TimeSpan.FromSeconds(30));

        Assert.Equal(["campaign-finance", "communications", "volunteer-coordinator"], connections.Select(c => c.User).Distinct().Order());
        Assert.All(connections, c => Assert.True(c.Tls, $"{c.User}'s connection is not over TLS"));
        Assert.All(connections, c => Assert.StartsWith("tlsv1.", c.TlsProtocol ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mail_leaves_over_STARTTLS_and_the_mail_server_refuses_mail_without_it()
    {
        // The server requires STARTTLS before MAIL FROM: that the welcome mail arrives shows the service upgraded.
        var email = $"tls-{Guid.NewGuid():N}@{empty.System.RunId}.e2e.example";
        var signUp = await empty.System.SignUpVolunteerAsync("Tls Volunteer", email);
        Assert.True(signUp.Id is not null, $"the sign-up answered {signUp.Status}: {signUp.Body}");
        Assert.NotEmpty(await empty.System.Mail.WaitForMailsToAsync(email, TimeSpan.FromSeconds(90)));

        using var smtp = new TcpClient();
        await smtp.ConnectAsync(TestInfrastructure.Get("CAMPAIGN_SMTP_HOST"), int.Parse(TestInfrastructure.Get("CAMPAIGN_SMTP_PORT"), System.Globalization.CultureInfo.InvariantCulture));
        using var reader = new StreamReader(smtp.GetStream(), Encoding.ASCII);
        await using var writer = new StreamWriter(smtp.GetStream(), Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await reader.ReadLineAsync(); // greeting
        await writer.WriteLineAsync("EHLO test.example");
        string? line;
        var offersStartTls = false;
        while ((line = await reader.ReadLineAsync()) is not null && line.StartsWith("250-", StringComparison.Ordinal))
            offersStartTls |= line.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase);
        offersStartTls |= line?.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase) == true;
        await writer.WriteLineAsync("MAIL FROM:<probe@test.example>");
        var answer = await reader.ReadLineAsync();

        Assert.True(offersStartTls, "the mail server does not offer STARTTLS");
        Assert.StartsWith("530", answer ?? "", StringComparison.Ordinal);
    }
}
