using System.Reflection;
using System.Text.Json.Nodes;
using Campaign.Contracts;
using Xunit;

namespace Campaign.Contracts.Tests;

/// <summary>docs/asyncapi.yaml is what the contracts generate, and each schema names the properties the wire format has.</summary>
public sealed class AsyncApiTests
{
    static readonly Assembly Contracts = typeof(DonorSecured).Assembly;

    [Fact]
    public void The_AsyncAPI_document_in_docs_is_generated_from_the_contracts()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "asyncapi.yaml");
        var generated = AsyncApiDocument.Generate(Contracts, PackageVersion());
        if (Environment.GetEnvironmentVariable("CAMPAIGN_UPDATE_ASYNCAPI") == "1")
            File.WriteAllText(path, generated);

        Assert.True(File.Exists(path), $"{path} is missing: run CAMPAIGN_UPDATE_ASYNCAPI=1 dotnet test tests/Campaign.Contracts.Tests");
        Assert.True(File.ReadAllText(path) == generated,
            "docs/asyncapi.yaml is not what the contracts generate: run CAMPAIGN_UPDATE_ASYNCAPI=1 dotnet test tests/Campaign.Contracts.Tests and commit it.");
    }

    [Theory]
    [MemberData(nameof(ContractSnapshotTests.Contracts), MemberType = typeof(ContractSnapshotTests))]
    public void Each_schema_lists_the_properties_of_the_wire_format(string name, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var snapshot = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", $"{name}.json")))!.AsObject();
        var document = AsyncApiDocument.Generate(Contracts, PackageVersion());
        var schema = document[document.IndexOf($"    {message.GetType().Name}:\n      type: object", StringComparison.Ordinal)..];
        var required = schema.Split('\n').SkipWhile(l => l.Trim() != "required:").Skip(1).TakeWhile(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l.Trim()[2..]).ToList();

        Assert.Equal(snapshot.Select(p => p.Key).Order(), required.Order());
    }

    [Fact]
    public void Every_contract_says_which_service_publishes_it()
    {
        var docs = System.Xml.Linq.XDocument.Load(Path.ChangeExtension(Contracts.Location, ".xml"));
        Assert.All(Contracts.GetExportedTypes(), type =>
            Assert.Contains(AsyncApiDocument.Producer(docs, type), new[] { "CampaignFinance", "VolunteerCoordinator", "Communications" }));
    }

    /// <summary>The package's SemVer version (the assembly's informational version without the commit).</summary>
    static string PackageVersion() =>
        Contracts.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Campaign.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No Campaign.sln above {AppContext.BaseDirectory}.");
    }
}
