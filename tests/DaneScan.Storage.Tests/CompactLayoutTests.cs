using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Storage.Export;

namespace DaneScan.Storage.Tests;

/// <summary>
/// Format 3 of stored domain records (docs/dataset.md, "Shared parts of domain records"): run-level values, the MX
/// RRset, host observations, host verdicts and findings are stored once per run and the domain's own name inside
/// them is written %d. Fixtures/format2 is a run directory written by the scanner before this format (commit 913a5ba,
/// 24 domains of a lab scale run: secure and unsigned MX RRsets, DANE-EE matching, failing and no TLSA), with the
/// source list's path shortened to scale/domains.txt.
/// </summary>
public sealed class CompactLayoutTests : IDisposable
{
    private const string OldRun = "format2";

    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_run_written_in_format_2_reads_and_its_verdicts_recompute_as_stored()
    {
        var old = CopyFixture();
        await using var store = new RunDirectoryStore(old);
        var records = await ToListAsync(store.EnumerateDomainsAsync(OldRun));
        var probes = (await ToListAsync(store.EnumerateProbesAsync(OldRun))).ToDictionary(p => ProbeKey.Of(p.Host, p.Address), p => p.Observation);

        Assert.Equal(24, records.Count);
        Assert.Equal(6, probes.Count);
        Assert.All(records, r => Assert.Equal("scale/domains.txt", r.Source));
        Assert.Contains(records, r => r.Verdict!.Findings.Any(f => f.Code == FindingCode.RecipientDomainUnsigned && f.Detail.Contains(r.Domain, StringComparison.Ordinal)));
        Assert.Contains(records, r => r.Verdict!.Hosts[0].Outcome == HostOutcome.Authenticated);
        Assert.Contains(records, r => r.Verdict!.Hosts[0].Outcome == HostOutcome.NoStartTls);
        foreach (var r in records)
        {
            Assert.Contains(r.Domain, r.Verdict!.Hosts[0].ReferenceIdentifiers);
            Assert.Equal(DaneJson.SerializeVerdict(r.Verdict!), DaneJson.SerializeVerdict(DaneJudge.Judge(r.Observation, [.. r.ProbeKeys.Select(k => probes[k])])));
        }

        var single = await store.ReadDomainAsync(OldRun, records[3].Domain);
        Assert.Equal(Json(records[3]), Json(single!));
    }

    [Fact]
    public async Task Format_3_reads_back_every_record_exactly_and_its_lines_hold_no_run_level_value()
    {
        var records = await OldRecordsAsync();
        var dir = Path.Combine(_root, "new");
        await using (var store = new RunDirectoryStore(dir))
        {
            await store.WriteDomainsAsync(OldRun, records[..10]);
            await store.WriteDomainsAsync(OldRun, records[10..]);
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(dir, OldRun, RunDirectoryStore.DomainsFile));
        Assert.Equal(records.Count, lines.Length);
        foreach (var line in lines)
        {
            Assert.Contains("\"$base\":", line, StringComparison.Ordinal);
            Assert.DoesNotContain("scale/domains.txt", line, StringComparison.Ordinal);
            Assert.DoesNotContain("127.108.0.2:53", line, StringComparison.Ordinal);
            Assert.DoesNotContain(DomainVerdict.CurrentRulesVersion, line, StringComparison.Ordinal);
            Assert.DoesNotContain("ValidatingResolverAd", line, StringComparison.Ordinal);
            Assert.DoesNotContain("NoRolloverScheme", line, StringComparison.Ordinal);
        }

        // The unsigned domains' finding names each domain: stored once, as "The MX RRset of %d ...".
        var parts = await File.ReadAllTextAsync(Path.Combine(dir, OldRun, RunDirectoryStore.HostsFile));
        Assert.Single(parts.Split('\n'), l => l.Contains("RecipientDomainUnsigned", StringComparison.Ordinal));
        Assert.Contains("The MX RRset of %d is not DNSSEC-signed", parts, StringComparison.Ordinal);

        await using var reader = new RunDirectoryStore(dir);
        Assert.Equal(records.Select(Json), (await ToListAsync(reader.EnumerateDomainsAsync(OldRun))).Select(Json));
        Assert.Equal(Json(records[17]), Json((await reader.ReadDomainAsync(OldRun, records[17].Domain))!));
        Assert.Equal(records.Select(r => r.Domain), await ToListAsync(reader.EnumerateDomainNamesAsync(OldRun)));
    }

    [Fact]
    public async Task Export_of_the_format_2_run_and_of_the_same_records_in_format_3_is_byte_identical()
    {
        var old = CopyFixture();
        var records = await OldRecordsAsync();
        var dir = Path.Combine(_root, "new");
        await using (var oldStore = new RunDirectoryStore(old))
        await using (var store = new RunDirectoryStore(dir))
        {
            await store.WriteManifestAsync((await oldStore.ReadManifestAsync(OldRun))!);
            await store.WriteProbesAsync(OldRun, await ToListAsync(oldStore.EnumerateProbesAsync(OldRun)));
            await store.WriteDomainsAsync(OldRun, records);
        }

        Assert.True(new FileInfo(Path.Combine(dir, OldRun, RunDirectoryStore.DomainsFile)).Length * 2 < new FileInfo(Path.Combine(old, OldRun, RunDirectoryStore.DomainsFile)).Length);
        foreach (var format in new[] { ExportFormat.Csv, ExportFormat.Jsonl })
        {
            await using var oldStore = new RunDirectoryStore(old);
            await using var newStore = new RunDirectoryStore(dir);
            var a = await DatasetExporter.ExportAsync(oldStore, OldRun, Path.Combine(_root, "export-old-" + format), format);
            var b = await DatasetExporter.ExportAsync(newStore, OldRun, Path.Combine(_root, "export-new-" + format), format);
            Assert.Equal(24, a.DomainRows);
            Assert.Equal(6, a.HostRows);
            Assert.Equal(await File.ReadAllBytesAsync(a.DomainsPath), await File.ReadAllBytesAsync(b.DomainsPath));
            Assert.Equal(await File.ReadAllBytesAsync(a.HostsPath), await File.ReadAllBytesAsync(b.HostsPath));
        }
    }

    [Fact]
    public async Task A_format_2_run_resumed_by_this_scanner_holds_both_formats_and_reads_every_record()
    {
        var old = CopyFixture();
        var before = await OldRecordsAsync();
        var added = new[] { Samples.Domain("new1.example"), Samples.Domain("new2.example", mxHost: "mx.new2.example") };
        await using (var store = new RunDirectoryStore(old))
        {
            await store.WriteDomainsAsync(OldRun, added);
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(old, OldRun, RunDirectoryStore.DomainsFile));
        Assert.Equal(24, lines.Count(l => !l.Contains("\"$base\"", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.Contains("\"$base\"", StringComparison.Ordinal)));

        await using var reader = new RunDirectoryStore(old);
        Assert.Equal(before.Concat(added).Select(Json), (await ToListAsync(reader.EnumerateDomainsAsync(OldRun))).Select(Json));
        Assert.Equal(Json(before[0]), Json((await reader.ReadDomainAsync(OldRun, before[0].Domain))!));
        Assert.Equal(Json(added[1]), Json((await reader.ReadDomainAsync(OldRun, "new2.example"))!));
    }

    [Fact]
    public async Task Domains_whose_mx_host_is_named_after_them_share_one_mx_rrset_part()
    {
        // mail.<domain> for each domain: the MX RRsets differ only by the domain's name, so one part serves all.
        var records = Enumerable.Range(0, 5).Select(i => Samples.Domain($"d{i}.example", mxHost: $"mail.d{i}.example")).ToList();
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", records);
        }

        var parts = (await File.ReadAllLinesAsync(Path.Combine(_root, "run", RunDirectoryStore.HostsFile)))
            .Select(l => JsonNode.Parse(l)!["record"]!["host"]!.AsObject()).ToList();
        var mx = Assert.Single(parts, p => p["type"]?.GetValue<string>() == "MX");
        Assert.Equal("%d", mx["name"]!.GetValue<string>());
        Assert.Equal("mail.%d", mx["records"]![0]!["exchange"]!.GetValue<string>());

        await using var reader = new RunDirectoryStore(_root);
        Assert.Equal(records.Select(Json), (await ToListAsync(reader.EnumerateDomainsAsync("run"))).Select(Json));
    }

    [Theory]
    [InlineData("The MX RRset of a.example is not signed", "The MX RRset of %d is not signed")]
    [InlineData("100% of a.example and mx.a.example", "100%% of %d and mx.%d")]
    [InlineData("a literal %d, %% and a.exampl", "a literal %%d, %%%% and a.exampl")]
    [InlineData("", "")]
    [InlineData("A.EXAMPLE is another string", "A.EXAMPLE is another string")]
    public void The_domain_is_written_percent_d_and_a_percent_sign_doubled_reversibly(string text, string templated)
    {
        Assert.Equal(templated, SharedHosts.Template(text, "a.example"));
        Assert.Equal(text, SharedHosts.Untemplate(templated, "a.example"));
    }

    [Theory]
    [InlineData("trailing %")]
    [InlineData("%x is no escape")]
    public void A_part_with_a_stray_percent_sign_is_refused_as_corrupt(string stored)
    {
        var e = Assert.Throws<StorageException>(() => SharedHosts.Untemplate(stored, "a.example"));
        Assert.Equal(StorageFaultKind.Corrupt, e.Kind);
        Assert.Contains("'%' not followed by '%' or 'd'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_line_whose_part_is_missing_names_the_part()
    {
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", [Samples.Domain("a.example")]);
        }

        var hosts = Path.Combine(_root, "run", RunDirectoryStore.HostsFile);
        var kept = (await File.ReadAllLinesAsync(hosts)).Where(l => !l.Contains("\"type\":\"MX\"", StringComparison.Ordinal)).ToList();
        var missing = JsonNode.Parse((await File.ReadAllLinesAsync(hosts)).Single(l => l.Contains("\"type\":\"MX\"", StringComparison.Ordinal)))!["key"]!.GetValue<string>();
        await File.WriteAllLinesAsync(hosts, kept);

        await using var reader = new RunDirectoryStore(_root);
        var e = await Assert.ThrowsAsync<StorageException>(async () => await ToListAsync(reader.EnumerateDomainsAsync("run")));
        Assert.Equal(StorageFaultKind.Corrupt, e.Kind);
        Assert.Contains($"part {missing} is not stored", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The fixture run copied into the test's directory (the store takes a writer lock in the run's folder).</summary>
    internal string CopyFixture(string name = "old")
    {
        var root = Path.Combine(_root, name);
        var dir = Path.Combine(root, OldRun);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", OldRun)))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        return root;
    }

    private async Task<List<DomainRecord>> OldRecordsAsync()
    {
        await using var store = new RunDirectoryStore(CopyFixture("source"));
        return await ToListAsync(store.EnumerateDomainsAsync(OldRun));
    }

    private static string Json(DomainRecord record) => JsonSerializer.Serialize(record, RecordJson.Options);

    internal static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
