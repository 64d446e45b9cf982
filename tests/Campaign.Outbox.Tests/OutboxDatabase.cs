using Xunit;
using Campaign.Testing;

namespace Campaign.Outbox.Tests;

/// <summary>One throwaway database with the outbox schema per test class.</summary>
public sealed class OutboxDatabase : IAsyncLifetime
{
    TestDatabase? _database;

    public string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("outbox");
        await OutboxHost.CreateSchemaAsync(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
