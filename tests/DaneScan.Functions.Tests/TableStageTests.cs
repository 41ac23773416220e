using System.Collections.Concurrent;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Stages;
using DaneScan.Pipeline.Engine;
using DaneScan.Statistics;
using DaneScan.Storage;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The resolve and probe stage adapters against Azurite tables (real Table Storage protocol). The resolver
/// and prober are replaced by observations shaped as they produce them: what is under test is what the
/// stages store, claim and judge, not DNS or SMTP (the lab tests cover those).
/// </summary>
[Trait("Category", "Integration")]
public sealed class TableStageTests : IAsyncLifetime
{
    private const string Run = "run-stages";
    private readonly ConcurrentDictionary<string, int> _probeCalls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DomainObservation> _dns = new(StringComparer.Ordinal);
    private TableResultStore _store = null!;
    private ProbeClaims _claims = null!;
    private TableResolveStage _resolve = null!;
    private TableProbeStage _probe = null!;

    public async Task InitializeAsync()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..20];
        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, new TableStoreOptions { MaxRetries = 1 });
        _store = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix, MaxRetries = 1 });
        _claims = await ProbeClaims.OpenAsync(service, prefix);
        _resolve = new TableResolveStage((d, _) => Task.FromResult(_dns[d]), _store, _claims);
        _probe = new TableProbeStage(ProbeAsync, _store, _claims);
        _dns["a.example"] = StageObservations.Domain("a.example", "mx.shared.example", "127.0.0.59", daneHost: true);
        _dns["b.example"] = StageObservations.Domain("b.example", "mx.shared.example", "127.0.0.59", daneHost: true);
        _dns["c.example"] = StageObservations.Domain("c.example", "mx.plain.example", "127.0.0.60", daneHost: false);
        _dns["d.example"] = StageObservations.Domain("d.example", "mx.shared.example", "127.0.0.59", daneHost: true);
    }

    public async Task DisposeAsync() => await _store.DeleteTablesAsync();

    [AzuriteFact]
    public async Task Resolve_stores_every_domain_claims_each_target_once_and_judges_dns_only_domains()
    {
        var claimed = await _resolve.ResolveAsync(Batch(0, "a.example", "b.example", "c.example"), CancellationToken.None);

        var request = Assert.Single(claimed);
        Assert.Equal(("mx.shared.example", "127.0.0.59", "mx.shared.example", 25), (request.Host, request.Address, request.Sni, request.Port));
        var a = await _store.ReadDomainAsync(Run, "a.example", CancellationToken.None);
        Assert.NotNull(a);
        Assert.Null(a.Verdict); // waits for its probe
        Assert.Equal(["mx.shared.example|127.0.0.59"], a.ProbeKeys);
        var c = await _store.ReadDomainAsync(Run, "c.example", CancellationToken.None);
        Assert.NotNull(c?.Verdict);
        Assert.Equal(DaneJudge.Judge(new DomainScan(_dns["c.example"], [])).Primary, c.Verdict.Primary);
        Assert.Equal(DomainDaneStatus.NotDane, c.Verdict.Primary);
    }

    [AzuriteFact]
    public async Task A_batch_resolves_its_domains_concurrently_within_the_limit_and_still_claims_each_target_once()
    {
        // Forty domains over three hosts. The resolver lets no lookup finish until four are in flight at once:
        // a stage resolving one domain after another would never get there (the wait below fails the test).
        var ct = CancellationToken.None;
        var names = Enumerable.Range(0, 40).Select(i => $"n{i:D2}.example").ToList();
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            _dns[name] = StageObservations.Domain(name, $"mx{i % 3}.shared.example", $"127.0.1.{i % 3}", daneHost: true);
        }

        var inFlight = 0;
        var peak = 0;
        var four = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<DomainObservation> Resolve(string domain, CancellationToken token)
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            if (now >= 4)
            {
                four.TrySetResult();
            }

            await four.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
            Interlocked.Decrement(ref inFlight);
            return _dns[domain];
        }

        var stage = new TableResolveStage(Resolve, _store, _claims, concurrency: 6);
        var claimed = await stage.ResolveAsync(new ResolveBatch { RunId = Run, BatchIndex = 7, Domains = names }, ct);

        Assert.InRange(peak, 4, 6);
        Assert.Equal(["mx0.shared.example", "mx1.shared.example", "mx2.shared.example"], claimed.Select(c => c.Host));
        foreach (var name in names)
        {
            Assert.NotNull(await _store.ReadDomainAsync(Run, name, ct));
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    [AzuriteFact]
    public async Task A_redelivered_batch_claims_its_targets_again_and_another_batch_claims_none()
    {
        var ct = CancellationToken.None;
        Assert.Single(await _resolve.ResolveAsync(Batch(0, "a.example"), ct));

        // The same batch again (its first delivery may have died before sending): it still holds the claim.
        Assert.Single(await _resolve.ResolveAsync(Batch(0, "a.example"), ct));

        // Another batch needing the same target: claimed already, nothing to send.
        Assert.Empty(await _resolve.ResolveAsync(Batch(1, "b.example"), ct));
    }

    [AzuriteFact]
    public async Task Probe_stores_the_observation_once_and_judges_every_domain_waiting_on_it()
    {
        var ct = CancellationToken.None;
        var request = Assert.Single(await _resolve.ResolveAsync(Batch(0, "a.example", "b.example"), ct));

        await _probe.ProbeAsync(request, ct);
        await _probe.ProbeAsync(request, ct); // redelivered

        Assert.Equal(1, _probeCalls["mx.shared.example|127.0.0.59"]);
        Assert.NotNull(await _store.ReadProbeAsync(Run, "mx.shared.example", "127.0.0.59", ct));
        foreach (var name in new[] { "a.example", "b.example" })
        {
            var record = await _store.ReadDomainAsync(Run, name, ct);
            Assert.NotNull(record?.Verdict);
            var expected = DaneJudge.Judge(new DomainScan(_dns[name], [StageObservations.Probe(new ProbeTarget("mx.shared.example", System.Net.IPAddress.Parse("127.0.0.59"), 25, "mx.shared.example"))]));
            Assert.Equal(expected.Primary, record.Verdict.Primary);
            Assert.Equal(expected.Hosts.Select(h => h.Outcome), record.Verdict.Hosts.Select(h => h.Outcome));
        }

        // The probe failed to authenticate here (the chain does not match the TLSA record): a user sees that.
        Assert.Equal(HostOutcome.AuthenticationFailed, (await _store.ReadDomainAsync(Run, "a.example", ct))!.Verdict!.Hosts[0].Outcome);
    }

    [AzuriteFact]
    public async Task A_domain_resolved_after_its_probe_is_stored_is_judged_by_the_resolve_stage()
    {
        var ct = CancellationToken.None;
        await _probe.ProbeAsync(Assert.Single(await _resolve.ResolveAsync(Batch(0, "a.example"), ct)), ct);

        Assert.Empty(await _resolve.ResolveAsync(Batch(1, "d.example"), ct));

        var d = await _store.ReadDomainAsync(Run, "d.example", ct);
        Assert.NotNull(d?.Verdict);
        Assert.Equal(HostOutcome.AuthenticationFailed, d.Verdict.Hosts[0].Outcome);
        Assert.Equal(1, _probeCalls.Values.Sum());
    }

    [AzuriteFact]
    public async Task A_probe_request_with_a_bad_address_is_poison()
    {
        var request = new ProbeRequest { RunId = Run, Host = "mx.shared.example", Address = "not-an-address" };
        var e = await Assert.ThrowsAsync<PoisonMessageException>(() => _probe.ProbeAsync(request, CancellationToken.None));
        Assert.Equal("InvalidAddress", e.Reason);
    }

    [AzuriteFact]
    public async Task The_statistics_queries_count_what_the_stages_stored()
    {
        var ct = CancellationToken.None;
        await _probe.ProbeAsync(Assert.Single(await _resolve.ResolveAsync(Batch(0, "a.example", "b.example", "c.example"), ct)), ct);
        var started = new DateTimeOffset(2026, 11, 28, 13, 0, 0, TimeSpan.Zero);
        await _store.WriteManifestAsync(new Contracts.RunManifest { RunId = Run, State = Contracts.RunState.Completed, StartedUtc = started, Counts = new() { DomainsEnumerated = 3 } }, ct);
        var queries = StatisticsQueries.ForTable(_store);

        var runs = await queries.ListRunsAsync(new PageRequest(10, null), ct);
        Assert.Equal(Run, Assert.Single(runs.Items).RunId);
        Assert.Null(runs.ContinuationToken);

        var answer = await queries.GetRunAsync(Run, ct);
        Assert.NotNull(answer);
        Assert.True(answer.Completed);
        Assert.False(answer.PreAggregated); // completed without the finaliser: computed from the records
        var run = answer.Value;
        Assert.Equal(global::DaneScan.Api.RunState.Completed, run.State);
        // a.example and b.example share the failing host; the third domain has no DANE. Every state is listed, zero or not.
        var failing = DaneJudge.Judge(new DomainScan(_dns["a.example"], [StageObservations.Probe(new ProbeTarget("mx.shared.example", System.Net.IPAddress.Parse("127.0.0.59"), 25, "mx.shared.example"))]));
        var expected = Enum.GetValues<DaneState>().ToDictionary(s => s, _ => 0L);
        expected[StatisticsDefinitions.StateOf(failing.All, StatisticsDefinitions.MxSecurityOf(failing.MxOutcome))] = 2;
        expected[DaneState.NotDane] = 1;
        Assert.Equal(expected, run.DomainsByState);
        Assert.Equal(1, run.HostsProbed);
        Assert.Equal(1, run.HostsByOutcome[HostOutcome.AuthenticationFailed]);

        var tld = await queries.GetCountsAsync(Run, BreakdownDimension.Tld, new PageRequest(10, null), ct);
        var row = Assert.Single(tld!.Value.Items);
        Assert.Equal(("example", 3L), (row.Key, row.Domains));

        var providers = await queries.GetCountsAsync(Run, BreakdownDimension.MxProvider, new PageRequest(1, null), ct);
        Assert.Equal(("shared.example", 2L), (providers!.Value.Items[0].Key, providers.Value.Items[0].Domains));
        Assert.Equal("1", providers.Value.ContinuationToken);
        var second = (await queries.GetCountsAsync(Run, BreakdownDimension.MxProvider, new PageRequest(1, providers.Value.ContinuationToken), ct))!.Value;
        Assert.Equal(("plain.example", 1L), (second.Items[0].Key, second.Items[0].Domains));
        Assert.Null(second.ContinuationToken);

        var tlsa = await queries.GetCountsAsync(Run, BreakdownDimension.TlsaParameters, new PageRequest(10, null), ct);
        Assert.Equal(2, tlsa!.Value.Items.Single(r => r.Key == "3 1 1").Domains);

        var domain = (await queries.GetDomainAsync(Run, "a.example", ct))!.Value;
        Assert.Equal(failing.All, domain!.Status);
        Assert.Single(domain.Scan.Probes);

        var series = await queries.GetTimeSeriesAsync("domains", null, null, ct);
        Assert.Equal(3, Assert.Single(series!.Points).Value);
        Assert.Null(await queries.GetTimeSeriesAsync("no-such-metric", null, null, ct));
        Assert.Null(await queries.GetRunAsync("run-unknown", ct));
        Assert.Null(await queries.GetCountsAsync("run-unknown", BreakdownDimension.Tld, new PageRequest(10, null), ct));
    }

    private static ResolveBatch Batch(int index, params string[] domains) => new() { RunId = Run, BatchIndex = index, Domains = domains };

    private Task<ProbeObservation> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        _probeCalls.AddOrUpdate(target.Key, 1, (_, n) => n + 1);
        return Task.FromResult(StageObservations.Probe(target));
    }
}
