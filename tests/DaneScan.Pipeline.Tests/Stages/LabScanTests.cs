using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Scale;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Storage;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>
/// The local runner against the real lab (nsd with signed zones, validating unbound, real SMTP and TLS on
/// loopback), results in a real run directory.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PipelineLabCollection.Name)]
public sealed class LabScanTests(PipelineLab fixture) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"danescan-pipeline-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static ConnectionLimiter Limiter() => new(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero, MaxConcurrentConnections = 16 });

    [Fact]
    public async Task Every_case_domain_is_recorded_once_with_the_catalogue_verdict()
    {
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var runner = fixture.NewRunner(store, "cases", limiter);

        var result = await runner.RunAsync([ScanSource.Names("lab:cases", LabCatalogue.All.Select(c => c.Domain))]);

        Assert.Equal(RunState.Completed, result.Manifest.State);
        Assert.Equal(LabCatalogue.All.Count, result.Summary.Domains);
        Assert.Equal(0, result.Summary.Duplicates);
        var failures = new List<string>();
        foreach (var labCase in fixture.Lab.Cases)
        {
            var record = await store.ReadDomainAsync("cases", labCase.Domain);
            Assert.True(record is not null, $"{labCase.Domain} was not recorded");
            var verdict = record.Verdict!;
            var expected = labCase.Expected;
            if (expected.Mx != verdict.MxStatus || expected.MxSecure != verdict.MxSecure || expected.AllMx != verdict.All || expected.PrimaryMx != verdict.Primary)
            {
                failures.Add($"{labCase.Id}: expected {expected.Mx}/{expected.MxSecure}/{expected.AllMx}/{expected.PrimaryMx}, got {verdict.MxStatus}/{verdict.MxSecure}/{verdict.All}/{verdict.Primary}");
            }

            foreach (var host in labCase.Hosts.Where(_ => verdict.MxStatus is MxStatus.MxHosts or MxStatus.ImplicitMx or MxStatus.NullMxMixed))
            {
                var actual = verdict.Hosts.SingleOrDefault(h => string.Equals(h.Name, host.Name, StringComparison.OrdinalIgnoreCase));
                if (actual is null || actual.Outcome != host.Expected.Outcome || actual.Reason != host.Expected.Reason)
                {
                    failures.Add($"{labCase.Id} host {host.Name}: expected {host.Expected.Outcome}/{host.Expected.Reason}, got {actual?.Outcome}/{actual?.Reason}");
                }
            }

            // The stored verdict is what the stored observation and the stored probes give.
            var probes = new List<ProbeObservation>();
            foreach (var key in record.ProbeKeys)
            {
                var parts = key.Split('|');
                var probe = await store.ReadProbeAsync("cases", parts[0], parts[1]);
                Assert.True(probe is not null, $"{labCase.Domain}: probe {key} is referenced but not stored");
                probes.Add(probe.Observation);
            }

            var again = DaneJudge.Judge(new DomainScan(record.Observation, probes));
            Assert.Equal(DaneJson.SerializeVerdict(verdict), DaneJson.SerializeVerdict(again));
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Scale_domains_get_their_expected_outcomes_and_each_shared_host_is_probed_once()
    {
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var runner = fixture.NewRunner(store, "scale", limiter);
        var scaleDir = Path.GetDirectoryName(fixture.Scale.ExpectedFile)!;

        var result = await runner.RunAsync([ScanSource.File(Path.Combine(scaleDir, "domains.txt"))]);

        Assert.Equal(PipelineLab.ScaleDomains, result.Summary.Domains);
        var failures = new List<string>();
        var expected = ScaleLab.ReadExpected(fixture.Scale.ExpectedFile).ToList();
        Assert.Equal(PipelineLab.ScaleDomains, expected.Count);
        foreach (var e in expected)
        {
            var v = (await store.ReadDomainAsync("scale", e.Domain))?.Verdict;
            if (v is null || v.MxStatus != e.Mx || v.MxSecure != e.MxSecure || v.All != e.AllMx || v.Primary != e.PrimaryMx)
            {
                failures.Add($"{e.Domain}: expected {e.Mx}/{e.MxSecure}/{e.AllMx}/{e.PrimaryMx}, got {v?.MxStatus}/{v?.MxSecure}/{v?.All}/{v?.Primary}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));

        // 300 domains over 6 MX hosts: at most one probe per (host, address), each stored once.
        var probeKeys = new List<string>();
        await foreach (var probe in store.EnumerateProbesAsync("scale"))
        {
            probeKeys.Add($"{probe.Host}|{probe.Address}");
        }

        Assert.Equal(probeKeys.Count, probeKeys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(probeKeys.Count, result.Probed);
        Assert.InRange(result.Probed, 1, PipelineLab.ScaleHosts);
        var referenced = result.Summary.DomainsPerProbe;
        Assert.Equal(probeKeys.Order(StringComparer.Ordinal), referenced.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(result.ProbesReused + result.Probed, referenced.Values.Sum());
        Assert.True(referenced.Values.Max() > 10, "the most used host should serve many domains");
        var stats = await store.ReadStatisticsAsync("scale");
        Assert.Equal(referenced[probeKeys[0]], stats!.Counts[$"probe.domains|{probeKeys[0]}"]);
    }

    [Fact]
    public async Task Malformed_list_lines_are_counted_by_reason_and_the_valid_names_scanned()
    {
        var list = Path.Combine(_root, "list.txt");
        Directory.CreateDirectory(_root);
        await File.WriteAllLinesAsync(list,
        [
            "# a comment",
            "ee-11.lab",
            "EE-11.LAB.",          // duplicate after normalisation
            "exa mple.lab",        // InvalidCharacter
            "under_score.lab",     // InvalidCharacter
            "-bad.lab",            // HyphenAtLabelEdge
            "a..lab",              // EmptyLabel
            "lab",                 // SingleLabel
            new string('a', 64) + ".lab", // LabelTooLong
            "192.0.2.1",           // NumericTopLevelLabel
            "",
            "nxdomain.lab",
        ]);
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var runner = fixture.NewRunner(store, "malformed", limiter);

        var result = await runner.RunAsync([ScanSource.File(list)]);

        var report = Assert.Single(result.Lists);
        Assert.True(report.IsBalanced);
        var counts = report.Rejections.ToDictionary(kv => kv.Key, kv => kv.Value.Count);
        Assert.Equal(
            new Dictionary<DomainRejectReason, long>
            {
                [DomainRejectReason.Duplicate] = 1,
                [DomainRejectReason.InvalidCharacter] = 2,
                [DomainRejectReason.HyphenAtLabelEdge] = 1,
                [DomainRejectReason.EmptyLabel] = 1,
                [DomainRejectReason.SingleLabel] = 1,
                [DomainRejectReason.LabelTooLong] = 1,
                [DomainRejectReason.NumericTopLevelLabel] = 1,
            },
            counts);
        Assert.Equal(counts, result.Summary.Rejected);
        Assert.Equal(counts, Assert.Single(result.Manifest.Lists).Rejected);
        Assert.Contains("InvalidCharacter", result.Summary.Render(), StringComparison.Ordinal);
        Assert.Equal(2, result.Summary.Domains);
        Assert.NotNull(await store.ReadDomainAsync("malformed", "ee-11.lab"));
        Assert.NotNull(await store.ReadDomainAsync("malformed", "nxdomain.lab"));
    }

    [Fact]
    public async Task Opted_out_domains_are_not_scanned_and_are_counted()
    {
        var (optOut, errors) = await OptOutList.ParseAsync(new StringReader("ee-11.lab\n"));
        Assert.Empty(errors);
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var runner = fixture.NewRunner(store, "optout", limiter, optOut);

        var result = await runner.RunAsync([ScanSource.Names("two", ["ee-11.lab", "nxdomain.lab"])]);

        Assert.Equal(1, result.Manifest.Counts.DomainsOptedOut);
        Assert.Null(await store.ReadDomainAsync("optout", "ee-11.lab"));
        Assert.NotNull(await store.ReadDomainAsync("optout", "nxdomain.lab"));
        Assert.Equal(RunState.Completed, result.Manifest.State);
    }
}
