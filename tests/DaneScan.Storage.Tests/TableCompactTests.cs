using System.Text.Json;
using Azure.Data.Tables;
using DaneScan.Contracts;
using DaneScan.Storage.Export;

namespace DaneScan.Storage.Tests;

/// <summary>
/// Against Azurite: the Table store keeps domain entities in the compact form of the run directory (format 3, parts
/// once per run in the partition "runId|parts") and still reads entities written whole, as before.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TableCompactTests : IAsyncLifetime, IDisposable
{
    private const string Run = "format2";
    private readonly string _root = Samples.TempDirectory();
    private readonly List<TableResultStore> _stores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DeleteTablesAsync();
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [AzuriteFact]
    public async Task Compact_entities_read_back_exactly_and_hold_no_run_level_value()
    {
        var (records, _, _) = await FixtureAsync();
        var (store, service, prefix) = await OpenAsync();
        await store.WriteDomainsAsync(Run, records[..9]);
        await store.WriteDomainsAsync(Run, records[9..]);

        Assert.Equal(records.Select(Json), (await CompactLayoutTests.ToListAsync(store.EnumerateDomainsAsync(Run))).Select(Json).Order(StringComparer.Ordinal));
        Assert.Equal(records.Select(r => r.Domain).Order(StringComparer.Ordinal), (await CompactLayoutTests.ToListAsync(store.EnumerateDomainNamesAsync(Run))).Order(StringComparer.Ordinal));
        Assert.Equal(Json(records[20]), Json((await store.ReadDomainAsync(Run, records[20].Domain))!));

        // A second store (another process) reads single records, parts included, without having written them.
        var (other, _, _) = await OpenAsync(prefix);
        Assert.Equal(Json(records[5]), Json((await other.ReadDomainAsync(Run, records[5].Domain))!));

        var table = service.GetTableClient(prefix + "Domains");
        var parts = 0;
        await foreach (var entity in table.QueryAsync<TableEntity>())
        {
            if (entity.PartitionKey == TableResultStore.PartsPartition(Run))
            {
                parts++;
                continue;
            }

            var json = System.Text.Encoding.UTF8.GetString(TablePayload.Read(entity));
            Assert.StartsWith("{\"$base\":", json, StringComparison.Ordinal);
            Assert.DoesNotContain("scale/domains.txt", json, StringComparison.Ordinal);
            Assert.DoesNotContain("127.108.0.2:53", json, StringComparison.Ordinal);
            Assert.DoesNotContain("ValidatingResolverAd", json, StringComparison.Ordinal);
            Assert.False(entity.ContainsKey("Source"));
        }

        // The same parts as the run directory's hosts.jsonl for the same records.
        await using (var dir = new RunDirectoryStore(Path.Combine(_root, "dir")))
        {
            await dir.WriteDomainsAsync(Run, records);
        }

        Assert.Equal((await File.ReadAllLinesAsync(Path.Combine(_root, "dir", Run, RunDirectoryStore.HostsFile))).Length, parts);
    }

    [AzuriteFact]
    public async Task Entities_written_whole_read_and_export_byte_for_byte_as_the_same_records_in_the_compact_form()
    {
        var (records, probes, manifest) = await FixtureAsync();

        // The earlier layout: every entity's payload the whole record's JSON, with the Domain, Source and SchemaVersion columns.
        var (old, oldService, oldPrefix) = await OpenAsync();
        await old.WriteManifestAsync(manifest);
        await old.WriteProbesAsync(Run, probes);
        var oldTable = oldService.GetTableClient(oldPrefix + "Domains");
        long oldBytes = 0;
        foreach (var r in records)
        {
            var entity = new TableEntity(old.PartitionFor(Run, r.Domain), r.Domain)
            {
                ["Domain"] = r.Domain,
                ["Source"] = r.Source,
                ["Rank"] = r.Rank,
                ["ObservedUtc"] = r.Observation.ObservedUtc,
                ["MxOutcome"] = r.Observation.Mx.Outcome.ToString(),
                ["HostCount"] = r.Observation.Hosts.Count,
                ["SchemaVersion"] = r.Observation.SchemaVersion,
            };
            TablePayload.Write(entity, RecordJson.Serialize(r), r.Domain);
            await oldTable.UpsertEntityAsync(entity, TableUpdateMode.Replace);
            oldBytes += TableEntitySize.BilledBytes(entity);
        }

        var (compact, service, prefix) = await OpenAsync();
        await compact.WriteManifestAsync(manifest);
        await compact.WriteProbesAsync(Run, probes);
        await compact.WriteDomainsAsync(Run, records);
        long newBytes = 0;
        await foreach (var entity in service.GetTableClient(prefix + "Domains").QueryAsync<TableEntity>(e => e.PartitionKey != TableResultStore.PartsPartition(Run)))
        {
            newBytes += TableEntitySize.BilledBytes(entity);
        }

        // The parts are shared by thousands of domains in a real run (docs/benchmarks.md); the domain entities alone shrink here.
        Assert.True(newBytes * 3 < oldBytes, $"compact domain entities take {newBytes} billed bytes, whole ones {oldBytes}");
        Assert.Equal(records.Select(Json), (await CompactLayoutTests.ToListAsync(old.EnumerateDomainsAsync(Run))).Select(Json).Order(StringComparer.Ordinal));
        Assert.Equal(Json(records[2]), Json((await old.ReadDomainAsync(Run, records[2].Domain))!));

        foreach (var format in new[] { ExportFormat.Csv, ExportFormat.Jsonl })
        {
            var a = await DatasetExporter.ExportAsync(old, Run, Path.Combine(_root, "old-" + format), format);
            var b = await DatasetExporter.ExportAsync(compact, Run, Path.Combine(_root, "new-" + format), format);
            Assert.Equal(24, a.DomainRows);
            Assert.Equal(await File.ReadAllBytesAsync(a.DomainsPath), await File.ReadAllBytesAsync(b.DomainsPath));
            Assert.Equal(await File.ReadAllBytesAsync(a.HostsPath), await File.ReadAllBytesAsync(b.HostsPath));
        }
    }

    private async Task<(TableResultStore Store, TableServiceClient Service, string Prefix)> OpenAsync(string? prefix = null)
    {
        var isNew = prefix is null;
        prefix ??= "t" + Guid.NewGuid().ToString("N")[..10];
        var options = new TableStoreOptions { TablePrefix = prefix, MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(100) };
        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, options);
        var store = await TableResultStore.OpenAsync(service, options);
        if (isNew)
        {
            _stores.Add(store);
        }

        return (store, service, prefix);
    }

    /// <summary>The records, probes and manifest of Fixtures/format2 (see <see cref="CompactLayoutTests"/>), sorted by domain.</summary>
    private async Task<(List<DomainRecord> Records, List<ProbeRecord> Probes, RunManifest Manifest)> FixtureAsync()
    {
        var root = Path.Combine(_root, "fixture");
        Directory.CreateDirectory(Path.Combine(root, Run));
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", Run)))
        {
            File.Copy(file, Path.Combine(root, Run, Path.GetFileName(file)));
        }

        await using var store = new RunDirectoryStore(root);
        var records = (await CompactLayoutTests.ToListAsync(store.EnumerateDomainsAsync(Run))).OrderBy(r => Json(r), StringComparer.Ordinal).ToList();
        return (records, await CompactLayoutTests.ToListAsync(store.EnumerateProbesAsync(Run)), (await store.ReadManifestAsync(Run))!);
    }

    private static string Json(DomainRecord record) => JsonSerializer.Serialize(record, RecordJson.Options);
}
