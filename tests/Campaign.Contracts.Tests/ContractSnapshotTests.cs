using System.Text.Json;
using System.Text.Json.Nodes;
using Campaign.Contracts;
using MassTransit;
using MassTransit.Serialization;
using Xunit;

namespace Campaign.Contracts.Tests;

/// <summary>
/// The wire format of each contract, as MassTransit's serializer writes it, pinned in Snapshots/. A failing test means
/// a subscriber running the previous version would read the message differently: add an optional property instead,
/// or publish a new type. (A deliberate change: update the snapshot in the same commit and say why.)
/// </summary>
public sealed class ContractSnapshotTests
{
    static readonly Guid DonorId = Guid.Parse("5d2c8a61-3f0e-4c1b-9a77-0a1b2c3d4e5f");
    static readonly DateTimeOffset At = new(2026, 10, 3, 14, 30, 0, TimeSpan.Zero);

    public static TheoryData<string, object> Contracts() => new()
    {
        { nameof(DonorSecured), new DonorSecured(DonorId, "Ada Example", "ada@example.org", 250.00m, "USD", At) },
        { nameof(ContributionReceived), new ContributionReceived(Guid.Parse("0c9e9d0a-1111-4aaa-8bbb-222233334444"), DonorId, 250.00m, "USD", new DateOnly(2026, 10, 2), "check", At) },
        { nameof(VolunteerSignedUp), new VolunteerSignedUp(Guid.Parse("7a7a7a7a-2222-4ccc-8ddd-555566667777"), "Sam Example", "sam@example.org", ["phone-banking", "canvassing"], At) },
        { nameof(ThankYouCallAssigned), new ThankYouCallAssigned(Guid.Parse("99999999-3333-4eee-8fff-888899990000"), DonorId, Guid.Parse("7a7a7a7a-2222-4ccc-8ddd-555566667777"), At) },
        { nameof(ThankYouCallCompleted), new ThankYouCallCompleted(Guid.Parse("99999999-3333-4eee-8fff-888899990000"), DonorId, Guid.Parse("7a7a7a7a-2222-4ccc-8ddd-555566667777"), At) },
        { nameof(ThankYouCallOverdue), new ThankYouCallOverdue(DonorId, "Ada Example", At.AddDays(-1), At) },
        { nameof(ContributionRefunded), new ContributionRefunded(Guid.Parse("1b1b1b1b-4444-4aaa-8bbb-ccccddddeeee"), Guid.Parse("0c9e9d0a-1111-4aaa-8bbb-222233334444"), DonorId, 50.00m, "USD", new DateOnly(2026, 10, 5), 200.00m, At) },
        { nameof(ContributionVoided), new ContributionVoided(Guid.Parse("0c9e9d0a-1111-4aaa-8bbb-222233334444"), DonorId, 250.00m, "USD", At) },
        { nameof(DonorUpdated), new DonorUpdated(DonorId, "Ada Example-Smith", ["name", "address"], At) },
        { "DonorSecuredWithoutEmail", new DonorSecured(DonorId, "Ada Example", null, 250.00m, "USD", At) },
    };

    [Theory]
    [MemberData(nameof(Contracts))]
    public void The_wire_format_matches_its_snapshot(string name, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var written = JsonNode.Parse(JsonSerializer.Serialize(message, message.GetType(), SystemTextJsonMessageSerializer.Options));
        var snapshot = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", $"{name}.json")));

        Assert.True(JsonNode.DeepEquals(snapshot, written), $"{name} serializes as {written?.ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void A_snapshot_reads_back_into_the_contract(string name, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", $"{name}.json"));
        var read = JsonSerializer.Deserialize(json, message.GetType(), SystemTextJsonMessageSerializer.Options);

        Assert.Equal(JsonSerializer.Serialize(message, message.GetType(), SystemTextJsonMessageSerializer.Options),
            JsonSerializer.Serialize(read, message.GetType(), SystemTextJsonMessageSerializer.Options));
    }

    [Fact]
    public void Every_contract_is_a_sealed_record_in_the_contracts_namespace_with_an_occurred_at()
    {
        var types = typeof(DonorSecured).Assembly.GetExportedTypes();
        Assert.Equal(9, types.Length);
        Assert.All(types, type =>
        {
            Assert.Equal("Campaign.Contracts", type.Namespace);
            Assert.True(type.IsSealed, $"{type.Name} is sealed");
            Assert.NotNull(type.GetMethod("<Clone>$")); // records only
            Assert.Equal(typeof(DateTimeOffset), type.GetProperty("OccurredAt")?.PropertyType);
        });
    }

    [Fact]
    public void Message_urns_name_the_full_type()
    {
        Assert.Equal("urn:message:Campaign.Contracts:DonorSecured", MessageUrn.ForTypeString<DonorSecured>());
        Assert.Equal("urn:message:Campaign.Contracts:VolunteerSignedUp", MessageUrn.ForTypeString<VolunteerSignedUp>());
    }
}
