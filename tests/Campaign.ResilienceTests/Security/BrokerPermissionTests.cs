using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Campaign.ServiceDefaults;
using Campaign.Testing;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Campaign.ResilienceTests.Security;

/// <summary>
/// Each service connects to RabbitMQ as its own user, allowed only the exchanges and queues it uses: it cannot read another
/// service's queue, cannot publish another service's events, and has no management access (deploy/local/infra sets this up).
/// </summary>
public sealed class BrokerPermissionTests
{
    [Theory]
    [InlineData("Communications", "volunteer-coordinator")]
    [InlineData("VolunteerCoordinator", "communications")]
    [InlineData("CampaignFinance", "communications")]
    public async Task A_service_cannot_read_another_services_queue_and_can_read_its_own(string service, string owner)
    {
        // A queue in the owner's namespace, made by the administrator and removed at the end.
        var queue = $"{owner}-permission-probe-{Guid.NewGuid():N}";
        await using var admin = await ConnectAsync(TestInfrastructure.RabbitMq);
        await using var adminChannel = await admin.CreateChannelAsync();
        await adminChannel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        try
        {
            await using var intruder = await ConnectAsync(TestInfrastructure.BrokerOf(service));
            await using var channel = await intruder.CreateChannelAsync();
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync(queue, autoAck: false));
            Assert.Equal<ushort?>(403, refused.ShutdownReason?.ReplyCode);

            var ownerService = owner == "communications" ? "Communications" : "VolunteerCoordinator";
            await using var rightful = await ConnectAsync(TestInfrastructure.BrokerOf(ownerService));
            await using var ownChannel = await rightful.CreateChannelAsync();
            Assert.Null(await ownChannel.BasicGetAsync(queue, autoAck: false)); // allowed, and empty
        }
        finally
        {
            await adminChannel.QueueDeleteAsync(queue);
        }
    }

    [Theory]
    [InlineData("CampaignFinance", "Campaign.Contracts:VolunteerSignedUp")]
    [InlineData("Communications", "Campaign.Contracts:DonorSecured")]
    [InlineData("VolunteerCoordinator", "Campaign.Contracts:DonorSecured")]
    public async Task A_service_cannot_publish_an_event_it_does_not_own(string service, string exchange)
    {
        await using var connection = await ConnectAsync(TestInfrastructure.BrokerOf(service));
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await channel.BasicPublishAsync(exchange, "", mandatory: false, body: Encoding.UTF8.GetBytes("{}")));
        Assert.Equal<ushort?>(403, (refused as OperationInterruptedException)?.ShutdownReason?.ReplyCode ?? channel.CloseReason?.ReplyCode);
    }

    [Theory]
    [InlineData("CampaignFinance")]
    [InlineData("VolunteerCoordinator")]
    [InlineData("Communications")]
    public async Task A_service_user_has_no_management_access(string service)
    {
        var user = new Uri(TestInfrastructure.BrokerOf(service)).UserInfo;
        using var http = new HttpClient { BaseAddress = new Uri(TestInfrastructure.Get("CAMPAIGN_RABBITMQ_MANAGEMENT_URL")) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(user))));

        using var response = await http.GetAsync(new Uri("/api/overview", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>As the services do: amqps:// verified against the local CA (the administrator's URI is plain amqp:// on loopback).</summary>
    static Task<IConnection> ConnectAsync(string uri)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri), AutomaticRecoveryEnabled = false };
        var trusted = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [TrustedCa.SettingKey] = TestInfrastructure.Get("Tls__TrustedCaFile") })
            .Build();
        if (factory.Ssl.Enabled)
            factory.Ssl.CertificateValidationCallback = TrustedCa.ValidationCallback(trusted);
        return factory.CreateConnectionAsync();
    }
}
