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
        _database = await OutboxHost.CreateDatabaseAsync("outbox");
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
