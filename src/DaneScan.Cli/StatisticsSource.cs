using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Storage;

namespace DaneScan.Cli;

/// <summary>Opens the statistics queries of <c>serve</c> and <c>compare</c>: over run directories, or over Table Storage.</summary>
internal static class StatisticsSource
{
    /// <summary>The queries and a description of where they read; or null and the exit code, after a one-line error.</summary>
    public static async Task<(IStatisticsQueries? Queries, string Source, int ExitCode)> OpenAsync(
        string command, string runsDir, bool tableWanted, string? tableConnection, string tablePrefix, CancellationToken cancellationToken)
    {
        try
        {
            if (tableWanted)
            {
                if (string.IsNullOrEmpty(tableConnection))
                {
                    await Console.Error.WriteLineAsync($"danescan {command}: --store table needs --table-connection or $DANESCAN_TABLE_CONNECTION");
                    return (null, string.Empty, ExitCodes.Usage);
                }

                var options = new TableStoreOptions { TablePrefix = tablePrefix };
                var store = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(tableConnection, options), options, cancellationToken);
                return (StatisticsQueries.ForTable(store), $"Table Storage (tables {tablePrefix}*)", ExitCodes.Success);
            }

            var runs = new ReadOnlyRunDirectories(runsDir);
            if (!Directory.Exists(runs.Root))
            {
                await Console.Error.WriteLineAsync($"danescan {command}: no run directories at {runs.Root} (--runs-dir)");
                return (null, string.Empty, ExitCodes.Usage);
            }

            return (StatisticsQueries.ForRunDirectories(runs), runs.Root, ExitCodes.Success);
        }
        catch (StorageException e)
        {
            await Console.Error.WriteLineAsync($"danescan {command}: storage fault: {e.Message}");
            return (null, string.Empty, e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed);
        }
    }
}
