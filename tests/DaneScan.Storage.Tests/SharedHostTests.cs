using System.Text;
using System.Text.Json;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Storage.Export;

namespace DaneScan.Storage.Tests;

/// <summary>
/// The run directory stores each distinct MX host observation once per run (hosts.jsonl) and domain lines refer to
/// it with their own TTLs: what is read back is what was written, older runs with hosts inside every line still
/// read, and an export is the same byte for byte from either layout.
/// </summary>
public sealed class SharedHostTests : IDisposable
{
    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Domains_sharing_a_host_store_it_once_and_read_back_exactly_as_written_ttls_included()
    {
        var records = Records();
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", records[..30]);
            await store.WriteDomainsAsync("run", records[30..]);
        }

        var hostLines = File.ReadAllLines(Path.Combine(_root, "run", RunDirectoryStore.HostsFile));
        // Two host names, each under two preferences: four distinct host observations once the TTLs are set apart.
        Assert.Equal(4, hostLines.Count(l => l.Contains("\"aaaa\":", StringComparison.Ordinal)));
        Assert.DoesNotContain("mx.shared.example", File.ReadAllText(Path.Combine(_root, "run", RunDirectoryStore.DomainsFile)).Replace("\"exchange\":\"mx.shared.example\"", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        await using var reader = new RunDirectoryStore(_root);
        var read = await ToListAsync(reader.EnumerateDomainsAsync("run"));
        Assert.Equal(records.Select(Json), read.Select(Json));
        Assert.Equal(Json(records[7]), Json((await reader.ReadDomainAsync("run", records[7].Domain))!));
    }

    [Fact]
    public async Task Host_verdicts_are_shared_too_and_each_domain_keeps_its_own_reference_identifiers()
    {
        var probe = Samples.Probe("mx.shared.example", "192.0.2.25");
        var records = Records().Select(r => r with { Verdict = DaneJudge.Judge(r.Observation, [probe.Observation]) }).ToList();
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", records);
        }

        var domains = await File.ReadAllTextAsync(Path.Combine(_root, "run", RunDirectoryStore.DomainsFile));
        Assert.DoesNotContain("\"addresses\"", domains, StringComparison.Ordinal);
        Assert.Contains(records[5].Domain, records[5].Verdict!.Hosts[0].ReferenceIdentifiers);

        await using var reader = new RunDirectoryStore(_root);
        var read = await ToListAsync(reader.EnumerateDomainsAsync("run"));
        Assert.Equal(records.Select(Json), read.Select(Json));
        Assert.Equal(
            DaneJson.SerializeVerdict(DaneJudge.Judge(read[5].Observation, [probe.Observation])),
            DaneJson.SerializeVerdict(read[5].Verdict!));
    }

    [Fact]
    public async Task A_run_written_with_hosts_inside_every_line_reads_and_exports_the_same_as_the_shared_layout()
    {
        var records = Records();
        var probe = Samples.Probe("mx.shared.example", "192.0.2.25");

        // The earlier layout: {"key":domain,"record":DomainRecord} with the hosts inline.
        var old = Path.Combine(_root, "old");
        await using (var store = new RunDirectoryStore(old))
        {
            await store.WriteManifestAsync(Samples.Manifest("run"));
            await store.WriteProbesAsync("run", [probe]);
        }

        var lines = new StringBuilder();
        foreach (var record in records)
        {
            lines.Append(JsonSerializer.Serialize(new { key = record.Domain, record }, RecordJson.Options)).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(old, "run", RunDirectoryStore.DomainsFile), lines.ToString());

        var shared = Path.Combine(_root, "shared");
        await using (var store = new RunDirectoryStore(shared))
        {
            await store.WriteManifestAsync(Samples.Manifest("run"));
            await store.WriteProbesAsync("run", [probe]);
            await store.WriteDomainsAsync("run", records);
        }

        Assert.True(new FileInfo(Path.Combine(shared, "run", RunDirectoryStore.DomainsFile)).Length * 2 < new FileInfo(Path.Combine(old, "run", RunDirectoryStore.DomainsFile)).Length);

        foreach (var format in new[] { ExportFormat.Jsonl, ExportFormat.Csv })
        {
            await using var oldStore = new RunDirectoryStore(old);
            await using var sharedStore = new RunDirectoryStore(shared);
            Assert.Equal(records.Select(Json), (await ToListAsync(oldStore.EnumerateDomainsAsync("run"))).Select(Json));
            var a = await DatasetExporter.ExportAsync(oldStore, "run", Path.Combine(_root, "export-old-" + format), format);
            var b = await DatasetExporter.ExportAsync(sharedStore, "run", Path.Combine(_root, "export-shared-" + format), format);
            Assert.Equal(records.Count, a.DomainRows);
            Assert.Equal(await File.ReadAllTextAsync(a.DomainsPath), await File.ReadAllTextAsync(b.DomainsPath));
            Assert.Equal(await File.ReadAllTextAsync(a.HostsPath), await File.ReadAllTextAsync(b.HostsPath));
        }
    }

    [Fact]
    public async Task A_torn_host_line_after_a_kill_is_cut_and_the_rewritten_domains_refer_to_it_again()
    {
        var records = Records();
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", records[..1]);
        }

        // Killed while writing the next batch: half a host line, no domain line yet.
        var hosts = Path.Combine(_root, "run", RunDirectoryStore.HostsFile);
        var text = (await File.ReadAllLinesAsync(hosts))[^1];
        await File.AppendAllTextAsync(hosts, text[..(text.Length / 2)]);

        await using (var store = new RunDirectoryStore(_root))
        {
            var (domainsTorn, _) = await store.RecoveryAsync("run");
            Assert.Equal(text.Length / 2, domainsTorn);
            await store.WriteDomainsAsync("run", records);
        }

        await using var reader = new RunDirectoryStore(_root);
        Assert.Equal(records.Select(Json), (await ToListAsync(reader.EnumerateDomainsAsync("run"))).Select(Json));
    }

    /// <summary>60 domains over one shared host (preference 10 or 20) and their own second host name, TTLs counting down.</summary>
    private static List<DomainRecord> Records() =>
    [
        .. Enumerable.Range(0, 60).Select(i =>
        {
            var record = Samples.Domain($"d{i}.example", mxHost: i % 2 == 0 ? "mx.shared.example" : "mx.other.example");
            var host = record.Observation.Hosts[0];
            host = host with
            {
                Preference = (ushort)(i % 3 == 0 ? 20 : 10),
                A = host.A with { Ttl = (uint)(300 - i) },
                TlsaLookups = [host.TlsaLookups[0] with { Ttl = (uint)(3600 - i) }],
            };
            return record with { Observation = record.Observation with { Hosts = [host] } };
        }),
    ];

    private static string Json(DomainRecord record) => JsonSerializer.Serialize(record, RecordJson.Options);

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
