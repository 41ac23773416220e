using DaneScan.Fleet;
using DaneScan.Storage;
using Microsoft.Extensions.Hosting;

namespace DaneScan.Functions.Stages;

/// <summary>
/// Creates the result store's and the claims' tables where they are missing, once, when the host starts. In
/// Azure Bicep has created them already (this then costs one request a table); against Azurite or with a new
/// table prefix it makes them, so that the stages, built without any request, find them.
/// </summary>
public sealed class TableSetupService(TableResultStore store, ProbeClaims claims) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.CreateTablesAsync(cancellationToken).ConfigureAwait(false);
        await claims.CreateTableAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
