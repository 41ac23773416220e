using DaneScan.Contracts;
using DaneScan.Storage.Export;

namespace DaneScan.Storage.Tests;

/// <summary>The same run stored in a run directory and in Table Storage (Azurite) exports the same dataset.</summary>
[Trait("Category", "Integration")]
public sealed class StoreEquivalenceTests : IDisposable
{
    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [AzuriteFact]
    public async Task Run_directory_and_table_storage_give_the_same_export_and_statistics()
    {
        var domains = Enumerable.Range(0, 150).Select(i => Samples.Domain($"d{i}.example", $"mx{i % 7}.example.net", $"192.0.2.{i % 7}", rank: i + 1)).ToList();
        var probes = Enumerable.Range(0, 7).Select(i => Samples.Probe($"mx{i}.example.net", $"192.0.2.{i}", seed: i)).ToList();
        var manifest = Samples.Manifest("same") with { State = RunState.Completed };

        await using var files = new RunDirectoryStore(_root);
        await using var tables = new AzuriteStores("eq");
        var table = await tables.OpenAsync(buckets: 16);
        foreach (IResultStore store in new IResultStore[] { files, table })
        {
            await store.WriteManifestAsync(manifest);
            // Written in two overlapping halves, as a resumed run would.
            await store.WriteDomainsAsync("same", domains[..100]);
            await store.WriteDomainsAsync("same", domains[80..]);
            await store.WriteProbesAsync("same", probes);
        }

        var fromFiles = await DatasetExporter.ExportAsync(files, "same", Path.Combine(_root, "files"), ExportFormat.Jsonl);
        var fromTable = await DatasetExporter.ExportAsync(table, "same", Path.Combine(_root, "table"), ExportFormat.Jsonl);

        Assert.Equal(150, fromFiles.DomainRows);
        Assert.Equal(7, fromFiles.HostRows);
        Assert.Equal((await File.ReadAllLinesAsync(fromFiles.DomainsPath)).Order(StringComparer.Ordinal), (await File.ReadAllLinesAsync(fromTable.DomainsPath)).Order(StringComparer.Ordinal));
        Assert.Equal(await File.ReadAllLinesAsync(fromFiles.HostsPath), await File.ReadAllLinesAsync(fromTable.HostsPath));
        Assert.Equal(fromFiles.Statistics.Counts.OrderBy(kv => kv.Key), fromTable.Statistics.Counts.OrderBy(kv => kv.Key));
        Assert.Equal(await files.ReadManifestAsync("same"), await table.ReadManifestAsync("same"), new JsonEquality<RunManifest?>());
    }

    private sealed class JsonEquality<T> : IEqualityComparer<T>
    {
        public bool Equals(T? x, T? y) => RecordJson.Serialize(x).AsSpan().SequenceEqual(RecordJson.Serialize(y));

        public int GetHashCode(T obj) => 0;
    }
}
