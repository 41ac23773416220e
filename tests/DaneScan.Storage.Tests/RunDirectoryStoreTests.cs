using System.Text;
using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Storage.Tests;

public sealed class RunDirectoryStoreTests : IDisposable
{
    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [Fact]
    public async Task Records_manifest_and_statistics_round_trip()
    {
        await using var store = new RunDirectoryStore(_root);
        await store.WriteManifestAsync(Samples.Manifest("run1"));
        await store.WriteDomainsAsync("run1", [Samples.Domain("a.example", rank: 7), Samples.Domain("b.example")]);
        await store.WriteProbesAsync("run1", [Samples.Probe("mx.example.net", "192.0.2.25"), Samples.Probe("mx.example.net", "2001:db8::25")]);
        await store.WriteStatisticsAsync(new RunStatistics { RunId = "run1", Counts = new Dictionary<string, long> { ["domains|x"] = 2 } });

        var manifest = await store.ReadManifestAsync("run1");
        Assert.Equal("lab", manifest!.VantagePoint);
        Assert.Equal(DnsTrustMode.ValidatingResolverAd, manifest.TrustMode);
        Assert.Equal("64", manifest.Settings["dnsConcurrency"]);

        var a = await store.ReadDomainAsync("run1", "a.example");
        Assert.Equal(7, a!.Rank);
        Assert.Equal("mx.example.net", a.Observation.Hosts[0].Name);
        Assert.Equal(Samples.Domain("a.example").Observation.Hosts[0].Tlsa!.Records[0], a.Observation.Hosts[0].Tlsa!.Records[0]);
        Assert.Null(await store.ReadDomainAsync("run1", "c.example"));

        var probe = await store.ReadProbeAsync("run1", "mx.example.net", "2001:db8::25");
        Assert.Equal(Samples.Probe("x", "y").Observation.PresentedChain[0], probe!.Observation.PresentedChain[0]);
        Assert.Equal(["a.example", "b.example"], (await ListAsync(store.EnumerateDomainNamesAsync("run1"))).Order());
        Assert.Equal(2, (await ListAsync(store.EnumerateProbesAsync("run1"))).Count);
        Assert.Equal(2, (await store.ReadStatisticsAsync("run1"))!.Counts["domains|x"]);

        // The stored domain judges the same as the one written.
        var verdict = DaneJudge.Judge(a.Observation, [probe.Observation]);
        Assert.Equal(DaneJudge.Judge(Samples.Domain("a.example").Observation, [Samples.Probe("mx.example.net", "2001:db8::25").Observation]), verdict, new VerdictComparer());
    }

    [Fact]
    public async Task Writing_the_same_records_twice_leaves_one_copy_also_after_reopening()
    {
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", [Samples.Domain("a.example"), Samples.Domain("a.example"), Samples.Domain("b.example")]);
            await store.WriteDomainsAsync("run", [Samples.Domain("b.example")]);
            await store.WriteProbesAsync("run", [Samples.Probe("mx", "192.0.2.1"), Samples.Probe("mx", "192.0.2.1")]);
        }

        await using (var again = new RunDirectoryStore(_root))
        {
            await again.WriteDomainsAsync("run", [Samples.Domain("a.example"), Samples.Domain("c.example")]);
            await again.WriteProbesAsync("run", [Samples.Probe("mx", "192.0.2.1")]);
            Assert.Equal(["a.example", "b.example", "c.example"], (await ListAsync(again.EnumerateDomainsAsync("run"))).Select(d => d.Domain));
            Assert.Single(await ListAsync(again.EnumerateProbesAsync("run")));
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(_root, "run", RunDirectoryStore.DomainsFile));
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public async Task A_torn_last_line_is_ignored_and_cut_before_the_next_append()
    {
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", [Samples.Domain("a.example"), Samples.Domain("b.example")]);
        }

        // A process killed mid-write leaves half a line without its newline.
        var path = Path.Combine(_root, "run", RunDirectoryStore.DomainsFile);
        var whole = await File.ReadAllBytesAsync(path);
        var partial = Encoding.UTF8.GetBytes("{\"key\":\"c.example\",\"record\":{\"observation\":{\"dom");
        await File.AppendAllBytesAsync(path, partial);

        await using (var reader = new RunDirectoryStore(_root))
        {
            Assert.Equal(["a.example", "b.example"], (await ListAsync(reader.EnumerateDomainsAsync("run"))).Select(d => d.Domain));
        }

        await using (var resumed = new RunDirectoryStore(_root))
        {
            Assert.Equal((partial.LongLength, 0L), await resumed.RecoveryAsync("run"));
            Assert.Equal(whole.Length, new FileInfo(path).Length);
            await resumed.WriteDomainsAsync("run", [Samples.Domain("c.example")]);
            Assert.Equal(["a.example", "b.example", "c.example"], (await ListAsync(resumed.EnumerateDomainsAsync("run"))).Select(d => d.Domain));
            Assert.NotNull(await resumed.ReadDomainAsync("run", "c.example"));
        }

        Assert.All(await File.ReadAllLinesAsync(path), line => Assert.StartsWith("{\"key\":", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_writer_of_the_same_run_is_refused_as_a_conflict()
    {
        await using var first = new RunDirectoryStore(_root);
        await first.WriteDomainsAsync("run", [Samples.Domain("a.example")]);
        await using var second = new RunDirectoryStore(_root);
        var e = await Assert.ThrowsAsync<StorageException>(() => second.WriteDomainsAsync("run", [Samples.Domain("b.example")]));
        Assert.Equal(StorageFaultKind.Conflict, e.Kind);

        // Reading a run while it is being written is allowed.
        Assert.Single(await ListAsync(second.EnumerateDomainsAsync("run")));
    }

    [Fact]
    public async Task Large_observations_round_trip()
    {
        await using var store = new RunDirectoryStore(_root);
        await store.WriteProbesAsync("run", [Samples.Probe("mx", "192.0.2.1", chainBytes: 3_000_000)]);
        var probe = await store.ReadProbeAsync("run", "mx", "192.0.2.1");
        Assert.Equal(3_000_000, probe!.Observation.PresentedChain[0].Length);
        Assert.Equal(Samples.Probe("mx", "192.0.2.1", chainBytes: 3_000_000).Observation.PresentedChain[0], probe.Observation.PresentedChain[0]);
    }

    [Fact]
    public void Run_ids_cannot_escape_the_root()
    {
        var store = new RunDirectoryStore(_root);
        Assert.Throws<ArgumentException>(() => store.RunDirectory("../etc"));
        Assert.Throws<ArgumentException>(() => store.RunDirectory(".hidden"));
        Assert.EndsWith("2026-11-28_lab", store.RunDirectory("2026-11-28_lab"), StringComparison.Ordinal);
    }

    private sealed class VerdictComparer : IEqualityComparer<DomainVerdict>
    {
        public bool Equals(DomainVerdict? x, DomainVerdict? y) =>
            DaneJson.SerializeVerdict(x!) == DaneJson.SerializeVerdict(y!);

        public int GetHashCode(DomainVerdict obj) => 0;
    }
}
