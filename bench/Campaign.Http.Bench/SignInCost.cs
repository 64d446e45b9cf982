using System.Diagnostics;
using System.Globalization;
using System.Text;
using Campaign.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Campaign.Http.Bench;

/// <summary>
/// What sign-in and the audit trail add to each request, measured apart from the HTTP run (the services cannot run without
/// them): the token validation JwtBearer performs, with the issuer's keys fetched once and cached as JwtBearer caches them,
/// and the one INSERT the audit trail adds, as the finance service's own role (client and PostgreSQL CPU).
/// </summary>
static class SignInCost
{
    public static async Task<string> MeasureAsync(int validations, int audits)
    {
        var retriever = new ConfigurationManager<OpenIdConnectConfiguration>(
            new Uri(TestTokens.IssuerUrl, ".well-known/openid-configuration").ToString(),
            new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever { RequireHttps = false });
        var issuer = await retriever.GetConfigurationAsync(CancellationToken.None);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer.Issuer,
            ValidAudience = "campaign-finance",
            IssuerSigningKeys = issuer.SigningKeys,
            ClockSkew = TimeSpan.FromMinutes(1),
        };
        var token = await TestTokens.ForAsync("finance.read", "finance.write");
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };

        for (var i = 0; i < 1000; i++) // warm-up: JIT and the signature provider cache
            await ValidateAsync();
        var (validationCpu, validationWall) = await MeasureAsync(validations, ValidateAsync);

        await using var connection = new NpgsqlConnection(TestInfrastructure.Get("ConnectionStrings__CampaignFinance"));
        await connection.OpenAsync();
        var backend = await new NpgsqlCommand("SELECT pg_backend_pid()", connection).ExecuteScalarAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO "AuditTrail" ("At", "Subject", "ClientId", "Action", "Resource", "Status", "TraceId")
            VALUES (now(), 'bench', 'operators-tools', 'GetDonor', $1, 200, '0123456789abcdef0123456789abcdef')
            """, connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = $"/donors/{Guid.NewGuid()}" });
        for (var i = 0; i < 200; i++)
            await insert.ExecuteNonQueryAsync();
        var postgresBefore = ProcessCpu.Seconds((int)backend!);
        var (auditCpu, auditWall) = await MeasureAsync(audits, () => insert.ExecuteNonQueryAsync());
        var postgresMs = (ProcessCpu.Seconds((int)backend) - postgresBefore) * 1000 / audits;

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| what one request adds | client CPU per request | wall per request |");
        text.AppendLine("|---|---|---|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| bearer token validation (RS256, cached keys; {validations:N0} validations) | {validationCpu:N1} µs | {validationWall:N1} µs |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| audit trail INSERT ({audits:N0} inserts, one connection) | {auditCpu:N1} µs + PostgreSQL {postgresMs * 1000:N1} µs | {auditWall:N1} µs |");
        return text.ToString();

        async Task ValidateAsync()
        {
            var result = await handler.ValidateTokenAsync(token, parameters);
            if (!result.IsValid)
                throw new InvalidOperationException("the issuer's token did not validate: " + result.Exception?.Message);
        }
    }

    /// <summary>Process CPU and wall time per call, in microseconds.</summary>
    static async Task<(double Cpu, double Wall)> MeasureAsync(int count, Func<Task> call)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
            await call();
        wall.Stop();
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMicroseconds / count, wall.Elapsed.TotalMicroseconds / count);
    }
}
