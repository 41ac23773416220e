using System.CommandLine;
using DaneScan.Contracts;
using DaneScan.Storage;
using DaneScan.Storage.Export;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan export &lt;run&gt; --format csv|jsonl|parquet</c>: the run's research dataset (docs/dataset.md):
/// domains.{ext} with one row per domain and hosts.{ext} with one row per probed (MX host, address).
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run")
        {
            Description = "A run directory (holding manifest.json), or a run id under --runs-dir, or a run id in Table Storage with --store table.",
        };
        var format = new Option<string>("--format") { Description = "csv, jsonl or parquet.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "jsonl", "parquet");
        var output = new Option<string?>("--output", "-o") { Description = "Directory to write domains.<ext> and hosts.<ext> into (default: ./export-<run id>)." };
        var runsDir = new Option<string>("--runs-dir") { Description = "Root of the run directories (what `danescan scan --out` wrote to).", DefaultValueFactory = _ => "danescan-runs" };
        var table = new Option<string?>("--table-connection")
        {
            Description = "Table Storage connection string (\"UseDevelopmentStorage=true\" for Azurite). Default: $DANESCAN_TABLE_CONNECTION.",
        };
        var storeKind = new Option<string>("--store") { Description = "Where the run is: dir (run directories) or table (Table Storage).", DefaultValueFactory = _ => "dir" };
        storeKind.AcceptOnlyFromAmong("dir", "table");
        var tablePrefix = new Option<string>("--table-prefix") { Description = "Prefix of the Table Storage tables.", DefaultValueFactory = _ => new TableStoreOptions().TablePrefix };
        var statistics = new Option<bool>("--write-statistics") { Description = "Also write the run's statistics to the store's statistics table." };

        var command = new Command("export", "Export a run's results as a research dataset (CSV, JSON Lines or Parquet), schema in docs/dataset.md.");
        command.Arguments.Add(run);
        command.Options.Add(format);
        command.Options.Add(output);
        command.Options.Add(runsDir);
        command.Options.Add(table);
        command.Options.Add(storeKind);
        command.Options.Add(tablePrefix);
        command.Options.Add(statistics);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(run)!,
            Enum.Parse<ExportFormat>(parse.GetValue(format)!, ignoreCase: true),
            parse.GetValue(output),
            parse.GetValue(runsDir)!,
            parse.GetValue(table) ?? Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION"),
            parse.GetValue(storeKind) == "table",
            parse.GetValue(tablePrefix)!,
            parse.GetValue(statistics),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        string run, ExportFormat format, string? output, string runsDir, string? tableConnection, bool tableWanted, string tablePrefix,
        bool writeStatistics, CancellationToken cancellationToken)
    {
        try
        {
            IResultStore store;
            string runId;
            if (tableWanted)
            {
                if (string.IsNullOrEmpty(tableConnection))
                {
                    await Console.Error.WriteLineAsync("danescan export: --store table needs --table-connection or $DANESCAN_TABLE_CONNECTION");
                    return ExitCodes.Usage;
                }

                runId = run;
                var options = new TableStoreOptions { TablePrefix = tablePrefix };
                store = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(tableConnection, options), options, cancellationToken);
            }
            else if (Directory.Exists(run) && File.Exists(Path.Combine(run, RunDirectoryStore.ManifestFile)))
            {
                var full = Path.GetFullPath(run).TrimEnd(Path.DirectorySeparatorChar);
                runId = Path.GetFileName(full);
                store = new RunDirectoryStore(Path.GetDirectoryName(full)!);
            }
            else
            {
                runId = run;
                store = new RunDirectoryStore(runsDir);
            }

            try
            {
                if (await store.ReadManifestAsync(runId, cancellationToken) is null)
                {
                    await Console.Error.WriteLineAsync($"danescan export: no run '{runId}' (no manifest) in {(tableWanted ? "Table Storage" : Path.GetFullPath(runsDir))}");
                    return ExitCodes.NoSuchRun;
                }

                var directory = output ?? Path.Combine(Directory.GetCurrentDirectory(), $"export-{runId}");
                var result = await DatasetExporter.ExportAsync(store, runId, directory, format, cancellationToken);
                await Console.Out.WriteLineAsync($"{result.DomainsPath}: {result.DomainRows} domains");
                await Console.Out.WriteLineAsync($"{result.HostsPath}: {result.HostRows} hosts");
                await Console.Out.WriteLineAsync($"dataset schema version {DatasetSchema.Version} (docs/dataset.md)");
                if (writeStatistics)
                {
                    await store.WriteStatisticsAsync(result.Statistics, cancellationToken);
                    await Console.Out.WriteLineAsync($"statistics: {result.Statistics.Counts.Count} counters written");
                }

                return ExitCodes.Success;
            }
            finally
            {
                if (store is IAsyncDisposable disposable)
                {
                    await disposable.DisposeAsync();
                }
            }
        }
        catch (StorageException e)
        {
            await Console.Error.WriteLineAsync($"danescan export: storage fault: {e.Message}");
            return e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed;
        }
    }
}
