using Azure.Data.Tables;

namespace DaneScan.Storage.Tests;

/// <summary>
/// The Table Storage set-up of a test against Azurite, in one place: every store it opens uses one table prefix
/// of the test's own (tests running at once never see each other's rows) and its own service client (its own
/// HTTP connections, as a second process would have), with few retries and short pauses so that a fault shows
/// at once. Disposing deletes the prefix's tables.
/// </summary>
internal sealed class AzuriteStores(string prefixLetter) : IAsyncDisposable
{
    private readonly List<TableResultStore> _stores = [];

    /// <summary>The tables' prefix: the given letter and 10 random hex digits.</summary>
    public string Prefix { get; } = prefixLetter + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Opens a store under <see cref="Prefix"/>, creating its tables if they are missing.</summary>
    /// <param name="buckets">Partitions per run (null: the store's default).</param>
    public async Task<TableResultStore> OpenAsync(int? buckets = null)
    {
        var options = new TableStoreOptions { TablePrefix = Prefix, MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(100) };
        if (buckets is { } b)
        {
            options = options with { Buckets = b };
        }

        var store = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(Azurite.ConnectionString, options), options);
        _stores.Add(store);
        return store;
    }

    /// <summary>One of the prefix's tables ("Domains", "Probes", "Runs", "Stats") through a client of its own, to look past the store.</summary>
    public TableClient Table(string name) => TableResultStore.CreateServiceClient(Azurite.ConnectionString).GetTableClient(Prefix + name);

    public async ValueTask DisposeAsync()
    {
        if (_stores.Count > 0)
        {
            await _stores[0].DeleteTablesAsync();
        }
    }
}
