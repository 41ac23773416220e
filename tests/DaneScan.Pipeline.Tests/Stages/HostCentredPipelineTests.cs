using System.Collections.Concurrent;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Smtp;
using DaneScan.Storage;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>
/// The host-centred pipeline against the real lab: host lookups once per run, domains that wait for probes
/// parked without holding a worker, and the per-domain bounds (MX host limit, deadline).
/// </summary>
[Collection(PipelineLabCollection.Name)]
public sealed class HostCentredPipelineTests(PipelineLab fixture) : IDisposable
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

    private string ScaleList => Path.Combine(Path.GetDirectoryName(fixture.Scale.ExpectedFile)!, "domains.txt");

    [Fact]
    public async Task Each_mx_host_is_looked_up_once_per_run_however_many_domains_name_it()
    {
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var counting = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var runner = fixture.NewRunner(store, "single-flight", limiter, wrapResolver: inner => new CountingRrsets(inner, counting),
            configure: o => o with { DnsConcurrency = 64 });

        var result = await runner.RunAsync([ScanSource.File(ScaleList)]);

        Assert.Equal(PipelineLab.ScaleDomains, result.Summary.Domains);
        var hosts = ScaleLab().Select(e => e.MxHost).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        Assert.InRange(hosts.Count, 2, PipelineLab.ScaleHosts);
        foreach (var host in hosts)
        {
            Assert.Equal(1, counting.GetValueOrDefault("A " + host));
            Assert.Equal(1, counting.GetValueOrDefault("AAAA " + host));
        }

        Assert.Equal(PipelineLab.ScaleDomains, counting.Where(kv => kv.Key.StartsWith("MX ", StringComparison.Ordinal)).Sum(kv => kv.Value));
        Assert.Equal(counting.Values.Sum(), result.QueriesSent);
        Assert.Equal(hosts.Count, result.HostLookups);

        // Each probe's chain is judged once; every other domain on the host reuses the judgement.
        Assert.InRange(result.ChainJudgements, 1, result.Probed);
        Assert.True(result.ChainJudgementsShared > 100, $"{result.ChainJudgementsShared} judgements reused");
    }

    [Fact]
    public async Task A_domain_waiting_on_a_silent_server_holds_no_worker_and_every_other_domain_finishes_first()
    {
        // One resolve worker: if a domain waiting for its probe held it, nothing else could move until the
        // silent server's banner deadline passed.
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var silent = LabCatalogue.All.Single(c => c.Id == "silent-server");
        var runner = fixture.NewRunner(store, "parked", limiter,
            configure: o => o with { DnsConcurrency = 1, ChannelCapacity = 4 },
            probeOptions: new SmtpProbeOptions("scanner.danescan.test", stepTimeout: TimeSpan.FromSeconds(10)));

        var result = await runner.RunAsync([ScanSource.Names("silent-first", [silent.Domain]), ScanSource.File(ScaleList)]);

        Assert.Equal(RunState.Completed, result.Manifest.State);
        Assert.Equal(PipelineLab.ScaleDomains + 1, result.Summary.Domains);
        var order = File.ReadLines(Path.Combine(store.RunDirectory("parked"), "domains.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("key").GetString())
            .ToList();
        Assert.Equal(silent.Domain, order[^1]);
        var record = await store.ReadDomainAsync("parked", silent.Domain);
        var host = Assert.Single(record!.Verdict!.Hosts);
        Assert.Equal((HostOutcome.Unreachable, HostReason.Timeout), (host.Outcome, host.Reason));
        Assert.True(result.PeakParked >= 1);
    }

    [Fact]
    public async Task A_domain_past_its_deadline_is_recorded_with_the_missing_probe_named_and_a_recomputable_verdict()
    {
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var silent = LabCatalogue.All.Single(c => c.Id == "silent-server");
        var ordinary = LabCatalogue.All.Single(c => c.Id == "ee-11");
        var runner = fixture.NewRunner(store, "deadline", limiter, configure: o => o with { DomainDeadline = TimeSpan.FromSeconds(5) });

        var result = await runner.RunAsync([ScanSource.Names("two", [silent.Domain, ordinary.Domain])]);

        Assert.Equal(RunState.Completed, result.Manifest.State);
        Assert.Equal(1, result.DomainsPastDeadline);
        var record = (await store.ReadDomainAsync("deadline", silent.Domain))!;
        var host = Assert.Single(record.Verdict!.Hosts);
        Assert.Equal((HostOutcome.NotProbed, HostReason.ProbeMissing), (host.Outcome, host.Reason));
        Assert.Equal(DomainDaneStatus.NotApplicable, record.Verdict.All);
        Assert.Empty(record.ProbeKeys);
        var pending = Assert.Single(record.PendingProbeKeys!);
        Assert.StartsWith(silent.Hosts[0].Name + "|", pending, StringComparison.OrdinalIgnoreCase);
        var again = DaneJudge.Judge(new DomainScan(record.Observation, []));
        Assert.Equal(DaneJson.SerializeVerdict(record.Verdict), DaneJson.SerializeVerdict(again));

        var other = (await store.ReadDomainAsync("deadline", ordinary.Domain))!;
        Assert.Null(other.PendingProbeKeys);
        Assert.Equal(ordinary.Expected.AllMx, other.Verdict!.All);
    }

    [Fact]
    public async Task Past_the_mx_host_limit_only_the_most_preferred_hosts_are_judged_and_the_cut_is_a_finding()
    {
        await using var store = new RunDirectoryStore(_root);
        using var limiter = Limiter();
        var two = LabCatalogue.All.Single(c => c.Id == "multi-backup-fails");
        var primary = two.Hosts.MinBy(h => h.Preference)!;
        var runner = fixture.NewRunner(store, "mx-cap", limiter, configure: o => o with { MaxMxHosts = 1 });

        await runner.RunAsync([ScanSource.Names("one", [two.Domain])]);

        var record = (await store.ReadDomainAsync("mx-cap", two.Domain))!;
        var judged = Assert.Single(record.Verdict!.Hosts);
        Assert.Equal(primary.Name, judged.Name, ignoreCase: true);
        Assert.Equal(primary.Expected.Outcome, judged.Outcome);
        var finding = Assert.Single(record.Verdict.Findings, f => f.Code == FindingCode.MxHostsTruncated);
        Assert.Contains("2 MX hosts published", finding.Detail, StringComparison.Ordinal);
        Assert.Single(record.Observation.Hosts);
        Assert.Equal(2, record.Observation.Mx.Records.Count);
    }

    private List<DaneScan.Lab.Scale.ScaleExpectation> ScaleLab() => DaneScan.Lab.Scale.ScaleLab.ReadExpected(fixture.Scale.ExpectedFile).ToList();

    /// <summary>The real resolver, with every lookup counted by type and name.</summary>
    private sealed class CountingRrsets(IRrsetResolver inner, ConcurrentDictionary<string, int> counts) : IRrsetResolver
    {
        public ResolverInfo Info => inner.Info;

        public Task<RrsetObservation<string>> LookupAAsync(string name, CancellationToken cancellationToken = default) =>
            Count("A", name, inner.LookupAAsync(name, cancellationToken));

        public Task<RrsetObservation<string>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default) =>
            Count("AAAA", name, inner.LookupAaaaAsync(name, cancellationToken));

        public Task<RrsetObservation<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default) =>
            Count("MX", name, inner.LookupMxAsync(name, cancellationToken));

        public Task<RrsetObservation<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default) =>
            Count("CNAME", name, inner.LookupCnameAsync(name, cancellationToken));

        public Task<RrsetObservation<TlsaRecord>> LookupTlsaAsync(string ownerName, CancellationToken cancellationToken = default) =>
            Count("TLSA", ownerName, inner.LookupTlsaAsync(ownerName, cancellationToken));

        private Task<T> Count<T>(string type, string name, Task<T> lookup)
        {
            counts.AddOrUpdate($"{type} {name}", 1, (_, n) => n + 1);
            return lookup;
        }
    }
}
