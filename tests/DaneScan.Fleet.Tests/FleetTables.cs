using DaneScan.Storage;
using DaneScan.Storage.Tests;

namespace DaneScan.Fleet.Tests;

/// <summary>The fleet's result store and probe claims on Azurite under one fresh table prefix, deleted afterwards.</summary>
internal sealed class FleetTables
{
    private FleetTables(TableResultStore store, ProbeClaims claims)
    {
        Store = store;
        Claims = claims;
    }

    public TableResultStore Store { get; }

    public ProbeClaims Claims { get; }

    /// <summary>Opens both under <paramref name="prefix"/>; null when Azurite is neither listening nor required (the tests then skip).</summary>
    public static async Task<FleetTables?> OpenAsync(string prefix)
    {
        if (!Azurite.Required && !Azurite.Listening())
        {
            return null;
        }

        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString);
        return new FleetTables(
            await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }),
            await ProbeClaims.OpenAsync(service, prefix));
    }

    public async Task DeleteAsync()
    {
        await Store.DeleteTablesAsync();
        await TableResultStore.CreateServiceClient(Azurite.ConnectionString).DeleteTableAsync(Claims.TableName);
    }
}
