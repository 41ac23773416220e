using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Pipeline.Engine;
using DaneScan.Statistics;
using DaneScan.Storage;
using ApiRunState = DaneScan.Api.RunState;
using RunState = DaneScan.Contracts.RunState;

namespace DaneScan.Functions.Tests;

/// <summary>
/// Run completion across stage instances, the finaliser and the statistics API's two sources, against
/// Azurite tables. DNS and SMTP are replaced by observations shaped as the resolver and prober produce them
/// (the lab end-to-end test runs the real ones): what is under test is what the stages mark, what the
/// finaliser decides and writes, and that the API's numbers do not depend on where they come from.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RunCompletionTests : IAsyncLifetime
{
    private const string Run = "run-completion";
    private readonly Dictionary<string, DomainObservation> _dns = new(StringComparer.Ordinal);
    private TableServiceClient _service = null!;
    private string _prefix = null!;
    private TableResultStore _store = null!;
    private ProbeClaims _claims = null!;
    private TableResolveStage _resolve = null!;
    private TableProbeStage _probe = null!;

    public async Task InitializeAsync()
    {
        _prefix = "c" + Guid.NewGuid().ToString("N")[..20];
        _service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, new TableStoreOptions { MaxRetries = 1 });
        _store = await TableResultStore.OpenAsync(_service, new TableStoreOptions { TablePrefix = _prefix, MaxRetries = 1 });
        _claims = await ProbeClaims.OpenAsync(_service, _prefix);
        _resolve = new TableResolveStage((d, _) => Task.FromResult(_dns[d]), _store, _claims);
        _probe = new TableProbeStage((t, _) => Task.FromResult(StageObservations.Probe(t)), _store, _claims);

        // Three MX providers (two DANE hosts, one plain), four TLDs, one domain without MX.
        foreach (var (domain, mx, address, dane) in new[]
        {
            ("a.example", "mx1.dane.example", "127.0.63.1", true),
            ("b.example", "mx1.dane.example", "127.0.63.1", true),
            ("c.test", "mx2.dane.example", "127.0.63.2", true),
            ("d.org", "mx.plain.net", "127.0.63.3", false),
            ("e.org", "mx.plain.net", "127.0.63.3", false),
            ("f.net", "mx1.dane.example", "127.0.63.1", true),
            ("g.test", "mx.other.org", "127.0.63.4", false),
        })
        {
            _dns[domain] = StageObservations.Domain(domain, mx, address, dane);
        }

        _dns["h.example"] = NoMx("h.example");
        await _store.WriteManifestAsync(new RunManifest { RunId = Run, StartedUtc = new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero), Counts = new() { DomainsEnumerated = _dns.Count } });
    }

    public async Task DisposeAsync()
    {
        await _store.DeleteTablesAsync();
        await _service.DeleteTableAsync(_claims.TableName);
    }

    private List<ResolveBatch> Batches() =>
    [
        new() { RunId = Run, BatchIndex = 0, Domains = ["a.example", "b.example", "c.test"] },
        new() { RunId = Run, BatchIndex = 1, Domains = ["d.org", "e.org", "f.net"] },
        new() { RunId = Run, BatchIndex = 2, Domains = ["g.test", "h.example"] },
    ];

    [AzuriteFact]
    public async Task A_run_is_not_complete_while_a_batch_or_a_claimed_probe_is_outstanding_and_is_once_both_are_done()
    {
        var ct = CancellationToken.None;
        var batches = Batches();
        var progress = _claims.Progress;

        // Nothing recorded by the enumerate stage yet: never complete, whatever else is done.
        Assert.False((await progress.CheckAsync(Run, ct)).IsComplete);
        await progress.RecordEnumerationSentAsync(Run, batches.Count, _dns.Count, ct);

        var requests = new List<ProbeRequest>();
        requests.AddRange(await _resolve.ResolveAsync(batches[0], ct));
        requests.AddRange(await _resolve.ResolveAsync(batches[1], ct));
        var check = await progress.CheckAsync(Run, ct);
        Assert.False(check.IsComplete);
        Assert.Equal((3, 2L, 6L), (check.BatchesSent, check.BatchesResolved, check.DomainsResolved));

        // The last batch resolves, but its probes (and the others') are outstanding.
        requests.AddRange(await _resolve.ResolveAsync(batches[2], ct));
        check = await progress.CheckAsync(Run, ct);
        Assert.Equal((3L, 8L), (check.BatchesResolved, check.DomainsResolved));
        Assert.Equal(2, check.ProbesClaimed); // the two DANE hosts; plain hosts are judged on DNS alone
        Assert.Equal(2, check.ProbesOutstanding);
        Assert.False(check.IsComplete);

        // All but one probe stored: still outstanding.
        foreach (var request in requests.Skip(1))
        {
            await _probe.ProbeAsync(request, ct);
        }

        check = await progress.CheckAsync(Run, ct);
        Assert.Equal((1L, 1L), (check.ProbesDone, check.ProbesOutstanding));
        Assert.False(check.IsComplete);
        Assert.Equal(FinaliseOutcome.Outstanding, (await new RunFinaliser(_store, progress).FinaliseAsync(Run, ct)).Outcome);
        Assert.Equal(RunState.Running, (await _store.ReadManifestAsync(Run, ct))!.State);
        Assert.Null(await new AggregateStore(_store).ReadTotalsAsync(Run, ct));

        await _probe.ProbeAsync(requests[0], ct);
        check = await progress.CheckAsync(Run, ct);
        Assert.True(check.IsComplete, check.ToString());
        Assert.NotNull(check.LastActivityUtc);
    }

    [AzuriteFact]
    public async Task Redelivered_batches_and_probes_do_not_count_twice()
    {
        var ct = CancellationToken.None;
        var batches = Batches();
        await _claims.Progress.RecordEnumerationSentAsync(Run, batches.Count, _dns.Count, ct);
        var requests = new List<ProbeRequest>();
        foreach (var batch in batches)
        {
            requests.AddRange(await _resolve.ResolveAsync(batch, ct));
        }

        var first = await _claims.Progress.CheckAsync(Run, ct);

        // Batch 0 delivered again (its first delivery's completion was lost), batch 1 twice more.
        await _resolve.ResolveAsync(batches[0], ct);
        await _resolve.ResolveAsync(batches[1], ct);
        await _resolve.ResolveAsync(batches[1], ct);
        foreach (var request in requests.Concat(requests))
        {
            await _probe.ProbeAsync(request, ct);
        }

        var check = await _claims.Progress.CheckAsync(Run, ct);
        Assert.Equal((3L, 8L), (check.BatchesResolved, check.DomainsResolved));
        Assert.Equal((2L, 2L, 0L), (check.ProbesClaimed, check.ProbesDone, check.ProbesOutstanding));
        Assert.True(check.IsComplete);

        // The first mark of a batch stands: its time is when the work first finished.
        Assert.True(check.LastActivityUtc >= first.LastActivityUtc);

        // After completion, a late redelivery of a finished batch replays what it stored: DNS that changed
        // meanwhile (here: a.example moved to a new DANE host) neither adds a claim nor undoes a verdict.
        var before = await _store.ReadDomainAsync(Run, "a.example", ct);
        _dns["a.example"] = StageObservations.Domain("a.example", "mx9.dane.example", "127.0.63.9", daneHost: true);
        var replayed = await _resolve.ResolveAsync(batches[0], ct);
        Assert.Equal(["mx1.dane.example", "mx2.dane.example"], replayed.Select(r => r.Host).Order(StringComparer.Ordinal)); // its own claims, to re-send
        var after = await _store.ReadDomainAsync(Run, "a.example", ct);
        Assert.Equal(RecordJson(before!), RecordJson(after!));
        Assert.NotNull(after!.Verdict);
        check = await _claims.Progress.CheckAsync(Run, ct);
        Assert.Equal((2L, 0L), (check.ProbesClaimed, check.ProbesOutstanding));
        Assert.True(check.IsComplete);

        // A batch count that was never reached (the enumerate stage sent four) is not complete.
        await _claims.Progress.RecordEnumerationSentAsync(Run, 4, _dns.Count + 1, ct);
        Assert.False((await _claims.Progress.CheckAsync(Run, ct)).IsComplete);
    }

    [AzuriteFact]
    public async Task The_finaliser_completes_the_run_once_and_writes_the_same_rows_when_run_twice_or_concurrently()
    {
        var ct = CancellationToken.None;
        await RunEverythingAsync(ct);
        var finaliser = new RunFinaliser(_store, _claims.Progress) { PageRows = 2 };

        var results = await finaliser.FinaliseRunningAsync(ct);
        Assert.Equal(FinaliseOutcome.Completed, Assert.Single(results).Outcome);
        var manifest = (await _store.ReadManifestAsync(Run, ct))!;
        Assert.Equal(RunState.Completed, manifest.State);
        Assert.Equal((await _claims.Progress.CheckAsync(Run, ct)).LastActivityUtc, manifest.EndedUtc);
        Assert.Equal((8L, 2L), (manifest.Counts.DomainsRecorded, manifest.Counts.ProbesRecorded));
        var rows = await StatisticsRowsAsync(ct);
        Assert.Contains(rows.Keys, k => k.StartsWith(Run + "|agg/counts|MxProvider|", StringComparison.Ordinal));
        Assert.Contains(Run + "/domains|total", rows.Keys);

        // Completed runs are left alone.
        Assert.Empty(await finaliser.FinaliseRunningAsync(ct));
        Assert.Equal(FinaliseOutcome.AlreadyCompleted, (await finaliser.FinaliseAsync(Run, ct)).Outcome);

        // Two finalisers that both saw the run Running (one overlapping the other): both complete it and
        // leave exactly the rows and manifest of the first.
        await _store.WriteManifestAsync(manifest with { State = RunState.Running, EndedUtc = null }, ct);
        var again = await Task.WhenAll(finaliser.FinaliseAsync(Run, ct), new RunFinaliser(_store, _claims.Progress) { PageRows = 2 }.FinaliseAsync(Run, ct));
        Assert.All(again, r => Assert.Equal(FinaliseOutcome.Completed, r.Outcome));
        Assert.Equal(rows, await StatisticsRowsAsync(ct));
        var after = (await _store.ReadManifestAsync(Run, ct))!;
        Assert.Equal(manifest.EndedUtc, after.EndedUtc);
        Assert.Equal(RunState.Completed, after.State);
    }

    [AzuriteFact]
    public async Task A_run_stalled_on_a_lost_probe_is_completed_with_what_it_has_after_the_stall_time_and_says_what_was_missing()
    {
        // A probe request that dead-lettered never stores its probe: without a stall time the run stays Running for ever.
        var ct = CancellationToken.None;
        var batches = Batches();
        await _claims.Progress.RecordEnumerationSentAsync(Run, batches.Count, _dns.Count, ct);
        var requests = new List<ProbeRequest>();
        foreach (var batch in batches)
        {
            requests.AddRange(await _resolve.ResolveAsync(batch, ct));
        }

        foreach (var request in requests.Skip(1))
        {
            await _probe.ProbeAsync(request, ct);
        }

        var now = DateTimeOffset.UtcNow;
        var patient = new RunFinaliser(_store, _claims.Progress) { StallAfter = TimeSpan.FromHours(6), Time = new FixedTime(now.AddHours(1)) };
        Assert.Equal(FinaliseOutcome.Outstanding, (await patient.FinaliseAsync(Run, ct)).Outcome);
        Assert.Equal(RunState.Running, (await _store.ReadManifestAsync(Run, ct))!.State);

        var later = new RunFinaliser(_store, _claims.Progress) { StallAfter = TimeSpan.FromHours(6), Time = new FixedTime(now.AddHours(7)) };
        var result = await later.FinaliseAsync(Run, ct);

        Assert.Equal(FinaliseOutcome.CompletedIncomplete, result.Outcome);
        var manifest = (await _store.ReadManifestAsync(Run, ct))!;
        Assert.Equal(RunState.Completed, manifest.State);
        Assert.Contains("1/2 claimed probes done", manifest.Incomplete, StringComparison.Ordinal);
        Assert.Equal(_dns.Count, manifest.Counts.DomainsRecorded);
        Assert.Equal(1, manifest.Counts.ProbesRecorded);
        Assert.NotNull(await new AggregateStore(_store).ReadTotalsAsync(Run, ct));

        // The API says so, from the pre-aggregated rows; the domains waiting on the lost probe are counted on DNS alone.
        var summary = (await StatisticsQueries.ForTable(_store).GetRunAsync(Run, ct))!;
        Assert.True(summary.PreAggregated);
        Assert.Equal(ApiRunState.Completed, summary.Value.State);
        Assert.Equal(manifest.Incomplete, summary.Value.Incomplete);
        Assert.Equal(_dns.Count, summary.Value.DomainsByState.Values.Sum());
        Assert.Equal(FinaliseOutcome.AlreadyCompleted, (await later.FinaliseAsync(Run, ct)).Outcome);
    }

    [AzuriteFact]
    public async Task A_complete_run_has_no_incomplete_note()
    {
        var ct = CancellationToken.None;
        await RunEverythingAsync(ct);
        var result = await new RunFinaliser(_store, _claims.Progress) { StallAfter = TimeSpan.FromMinutes(30), Time = new FixedTime(DateTimeOffset.UtcNow.AddDays(1)) }.FinaliseAsync(Run, ct);

        Assert.Equal(FinaliseOutcome.Completed, result.Outcome);
        Assert.Null((await _store.ReadManifestAsync(Run, ct))!.Incomplete);
        Assert.Null((await StatisticsQueries.ForTable(_store).GetRunAsync(Run, ct))!.Value.Incomplete);
    }

    [AzuriteFact]
    public async Task The_finalise_timer_completes_a_done_run_and_leaves_an_unfinished_one_running()
    {
        // The Functions host is mocked here (the timer info is constructed, the function called directly).
        var ct = CancellationToken.None;
        await RunEverythingAsync(ct);
        await _store.WriteManifestAsync(new RunManifest { RunId = "run-unfinished", StartedUtc = DateTimeOffset.UtcNow }, ct);
        await _claims.Progress.RecordEnumerationSentAsync("run-unfinished", 2, 10, ct);
        var timer = new FinaliseFunction(new RunFinaliser(_store, _claims.Progress), Microsoft.Extensions.Logging.Abstractions.NullLogger<FinaliseFunction>.Instance);

        await timer.RunAsync(new Microsoft.Azure.Functions.Worker.TimerInfo(), ct);

        Assert.Equal(RunState.Completed, (await _store.ReadManifestAsync(Run, ct))!.State);
        Assert.Equal(RunState.Running, (await _store.ReadManifestAsync("run-unfinished", ct))!.State);
        Assert.NotNull(await new AggregateStore(_store).ReadTotalsAsync(Run, ct));
        Assert.Null(await new AggregateStore(_store).ReadTotalsAsync("run-unfinished", ct));
    }

    [AzuriteFact]
    public async Task The_api_answers_the_same_from_pre_aggregated_rows_as_computed_from_records_page_by_page()
    {
        var ct = CancellationToken.None;
        await RunEverythingAsync(ct);
        var queries = StatisticsQueries.ForTable(_store);

        // Running: computed.
        var before = await AnswersAsync(queries, ct);
        Assert.All(before.Sources, s => Assert.Equal((false, false), s));

        // Completed and aggregated with pages of two rows, so that pages of one to three rows cross them.
        Assert.Equal(FinaliseOutcome.Completed, (await new RunFinaliser(_store, _claims.Progress) { PageRows = 2 }.FinaliseAsync(Run, ct)).Outcome);
        var after = await AnswersAsync(queries, ct);
        Assert.All(after.Sources, s => Assert.Equal((true, true), s));
        Assert.Equal(before.Pages, after.Pages);
        Assert.Equal(before.Summary with { State = ApiRunState.Completed, EndedUtc = null }, after.Summary with { EndedUtc = null }, SummaryComparer.Instance);

        // What the numbers are (not only that they agree): the MX providers by domains, with statuses.
        var providers = (await queries.GetCountsAsync(Run, BreakdownDimension.MxProvider, new PageRequest(10, null), ct))!.Value.Items;
        Assert.Equal([("dane.example", 4L), ("plain.net", 2L), ("(no mx)", 1L), ("other.org", 1L)], providers.Select(r => (r.Key, r.Domains)));
        Assert.Equal(8, after.Summary.DomainsByState.Values.Sum());
        Assert.Equal(2, after.Summary.HostsProbed);

        // The time series reads the stored totals and counts the same.
        var series = await queries.GetTimeSeriesAsync("domains", null, null, ct);
        Assert.Equal(8, Assert.Single(series!.Points).Value);
    }

    [AzuriteFact]
    public async Task The_http_answers_say_whether_they_are_computed_or_pre_aggregated_in_their_headers()
    {
        var ct = CancellationToken.None;
        await RunEverythingAsync(ct);
        var api = new StatisticsApi(StatisticsQueries.ForTable(_store));

        var running = await api.CountsByTldAsync(HttpApiTests.Request("?top=2"), Run, ct);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        Assert.Equal("public, max-age=60", HttpApiTests.Header(running, "Cache-Control"));
        Assert.Equal("computed", HttpApiTests.Header(running, "X-DaneScan-Statistics"));
        var runningBody = Body(running);

        await new RunFinaliser(_store, _claims.Progress).FinaliseAsync(Run, ct);
        var completed = await api.CountsByTldAsync(HttpApiTests.Request("?top=2"), Run, ct);
        Assert.Equal("public, max-age=31536000, immutable", HttpApiTests.Header(completed, "Cache-Control"));
        Assert.Equal("pre-aggregated", HttpApiTests.Header(completed, "X-DaneScan-Statistics"));
        Assert.Equal(runningBody, Body(completed));
        var run = await api.GetRunAsync(HttpApiTests.Request(string.Empty), Run, ct);
        Assert.Equal("public, max-age=31536000, immutable", HttpApiTests.Header(run, "Cache-Control"));
        Assert.Equal("pre-aggregated", HttpApiTests.Header(run, "X-DaneScan-Statistics"));
        Assert.Equal("completed", JsonDocument.Parse(Body(run)).RootElement.GetProperty("state").GetString());

        // A domain's record: short-lived while the run runs (its verdict may still change), immutable after.
        var domain = await api.GetDomainAsync(HttpApiTests.Request(string.Empty), Run, "a.example", ct);
        Assert.Equal("public, max-age=31536000, immutable", HttpApiTests.Header(domain, "Cache-Control"));
        await _store.WriteManifestAsync((await _store.ReadManifestAsync(Run, ct))! with { State = RunState.Running }, ct);
        domain = await api.GetDomainAsync(HttpApiTests.Request(string.Empty), Run, "a.example", ct);
        Assert.Equal("public, max-age=60", HttpApiTests.Header(domain, "Cache-Control"));
    }

    private static string RecordJson(Contracts.DomainRecord record) => JsonSerializer.Serialize(record);

    private static string Body(Microsoft.Azure.Functions.Worker.Http.HttpResponseData response)
    {
        response.Body.Position = 0;
        return new StreamReader(response.Body).ReadToEnd();
    }

    /// <summary>Every batch resolved and every claimed probe stored, with the enumeration recorded.</summary>
    private async Task RunEverythingAsync(CancellationToken ct)
    {
        var batches = Batches();
        await _claims.Progress.RecordEnumerationSentAsync(Run, batches.Count, _dns.Count, ct);
        foreach (var batch in batches)
        {
            foreach (var request in await _resolve.ResolveAsync(batch, ct))
            {
                await _probe.ProbeAsync(request, ct);
            }
        }
    }

    private async Task<(RunSummary Summary, List<string> Pages, List<(bool Completed, bool PreAggregated)> Sources)> AnswersAsync(StatisticsQueries queries, CancellationToken ct)
    {
        var sources = new List<(bool, bool)>();
        var pages = new List<string>();
        var run = (await queries.GetRunAsync(Run, ct))!;
        sources.Add((run.Completed, run.PreAggregated));
        foreach (var top in new[] { 1, 2, 3, 1000 })
        {
            foreach (var dimension in Enum.GetValues<BreakdownDimension>())
            {
                string? token = null;
                do
                {
                    var answer = (await queries.GetCountsAsync(Run, dimension, new PageRequest(top, token), ct))!;
                    sources.Add((answer.Completed, answer.PreAggregated));
                    pages.Add($"{dimension}/{top}/{token}: {JsonSerializer.Serialize(answer.Value, StatisticsHandlers.Json)}");
                    token = answer.Value.ContinuationToken;
                }
                while (token is not null);
            }

            var findings = (await queries.ListFindingsAsync(Run, new PageRequest(top, null), ct))!;
            sources.Add((findings.Completed, findings.PreAggregated));
            pages.Add($"findings/{top}: {JsonSerializer.Serialize(findings.Value, StatisticsHandlers.Json)}");
        }

        // A token past the end restarts at 0, in both sources alike.
        pages.Add(JsonSerializer.Serialize((await queries.GetCountsAsync(Run, BreakdownDimension.Tld, new PageRequest(2, "99"), ct))!.Value, StatisticsHandlers.Json));
        return (run.Value, pages, sources);
    }

    /// <summary>The statistics table's rows of the run ("partition/row" → properties other than the timestamp), both partitions.</summary>
    private async Task<Dictionary<string, string>> StatisticsRowsAsync(CancellationToken ct)
    {
        var table = _service.GetTableClient(_prefix + "Stats");
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Run} or PartitionKey eq {Run + "|agg"}");
        await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var properties = e.Keys.Where(k => k is not ("Timestamp" or "odata.etag" or "PartitionKey" or "RowKey")).Order(StringComparer.Ordinal)
                .Select(k => $"{k}={(e[k] is byte[] b ? Convert.ToBase64String(b) : e[k]?.ToString())}");
            rows[$"{e.PartitionKey}/{e.RowKey}"] = string.Join(";", properties);
        }

        return rows;
    }

    private sealed class SummaryComparer : IEqualityComparer<RunSummary>
    {
        public static readonly SummaryComparer Instance = new();

        public bool Equals(RunSummary? x, RunSummary? y) =>
            JsonSerializer.Serialize(x, StatisticsHandlers.Json) == JsonSerializer.Serialize(y, StatisticsHandlers.Json);

        public int GetHashCode(RunSummary obj) => 0;
    }

    private static DomainObservation NoMx(string domain) => new()
    {
        Domain = domain,
        ObservedUtc = new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero),
        Resolver = new ResolverInfo("127.0.63.53:53", DnsTrustMode.ValidatingResolverAd),
        Mx = new RrsetObservation<MxRecord>(domain, "MX", DnsOutcome.SecureDenial, DenialKind.NxDomain, [], 3600, []),
        Hosts = [],
    };

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
