using System.Collections.Concurrent;
using System.Globalization;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Pipeline.Engine;
using DaneScan.Statistics;
using DaneScan.Storage;
using IResultStore = DaneScan.Contracts.IResultStore;
using PipelineRunState = DaneScan.Contracts.RunState;
using RunManifest = DaneScan.Contracts.RunManifest;

namespace DaneScan.Api;

/// <summary>
/// The statistics API's queries over a result store: the Table store (<see cref="ForTable"/>) or a root of
/// run directories (<see cref="ForRunDirectories"/>). Every per-run number comes from
/// <see cref="RunAggregates"/> (built on the CLI's run summary, so the API counts as <c>danescan scan</c>
/// reports). A completed run in the Table store is served from the pre-aggregated documents the finaliser
/// stored (<see cref="AggregateStore"/>): the manifest, the totals and the one or two pages a request covers.
/// A running run (or a completed one without stored aggregates) is computed from its records on each request;
/// over run directories a completed run's aggregates are computed once and kept in memory (they never change).
/// Paging is by offset in a stable order; the continuation token is that offset.
/// </summary>
public sealed class StatisticsQueries : IStatisticsQueries
{
    private readonly IResultStore store;
    private readonly Func<CancellationToken, IAsyncEnumerable<RunManifest>> _manifests;
    private readonly AggregateStore? _aggregates;
    private readonly ConcurrentDictionary<string, Lazy<Task<RunAggregates>>>? _completed;

    private StatisticsQueries(IResultStore store, Func<CancellationToken, IAsyncEnumerable<RunManifest>> manifests, AggregateStore? aggregates, bool keepCompleted)
    {
        this.store = store;
        _manifests = manifests;
        _aggregates = aggregates;
        _completed = keepCompleted ? new(StringComparer.Ordinal) : null;
    }

    /// <summary>Over the Table store: completed runs from their stored aggregates.</summary>
    public static StatisticsQueries ForTable(TableResultStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new StatisticsQueries(store, store.EnumerateManifestsAsync, new AggregateStore(store), keepCompleted: false);
    }

    /// <summary>Over the run directories under a root, read-only (see <see cref="ReadOnlyRunDirectories"/>).</summary>
    public static StatisticsQueries ForRunDirectories(ReadOnlyRunDirectories runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return new StatisticsQueries(runs, runs.EnumerateManifestsAsync, aggregates: null, keepCompleted: true);
    }

    /// <summary>
    /// The time-series metrics: the run's domain count; the headline share (percent of domains DANE-protected,
    /// that is Verified over all MX hosts); the survey-comparable count, its denominator and share (percent of
    /// signed domains); and each state's domain count over all MX hosts ("verified", "trusted", "encrypt-only", ...).
    /// </summary>
    public static IReadOnlyList<string> Metrics { get; } =
        ["domains", "dane-protected-share", "survey-signed", "survey-protected", "survey-protected-share", .. Enum.GetValues<DaneState>().Select(s => MetricName(s.ToString()))];

    public async Task<Page<RunListItem>> ListRunsAsync(PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var runs = new List<RunListItem>();
        await foreach (var m in _manifests(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunListItem(m.RunId, m.StartedUtc, m.EndedUtc, State(m.State), m.Counts.DomainsEnumerated));
        }

        return Paged([.. runs.OrderByDescending(r => r.StartedUtc).ThenBy(r => r.RunId, StringComparer.Ordinal)], page);
    }

    public async Task<RunAnswer<RunSummary>?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var source = await OpenAsync(runId, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return null;
        }

        var (manifest, totals, _) = source.Value;
        var summary = new RunSummary(
            manifest.RunId,
            manifest.StartedUtc,
            manifest.EndedUtc,
            State(manifest.State),
            manifest.ScannerVersion ?? string.Empty,
            manifest.TrustMode ?? DnsTrustMode.ValidatingResolverAd,
            manifest.VantagePoint ?? string.Empty,
            [.. manifest.Lists.Select(l => l.Source)],
            manifest.Counts.DomainsEnumerated,
            totals.DomainsRejected,
            totals.DefinitionsVersion,
            totals.Headline,
            StateCounts(totals.All),
            StateCounts(totals.Primary),
            new SortedDictionary<MxSecurity, long>(totals.MxSecurity.ToDictionary()),
            totals.Probes,
            totals.MxHosts.Total,
            new SortedDictionary<HostOutcome, long>(totals.MxHosts.ByOutcome.ToDictionary()),
            manifest.Incomplete);
        return Answer(source.Value, summary);
    }

    public async Task<RunAnswer<Page<CountRow>>?> GetCountsAsync(string runId, BreakdownDimension dimension, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var source = await OpenAsync(runId, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return null;
        }

        var (_, totals, computed) = source.Value;
        var breakdown = dimension;
        var total = totals.BreakdownRows.GetValueOrDefault(breakdown);
        var (offset, top) = Window(page, total);
        var rows = computed is not null
            ? [.. computed.Breakdowns[breakdown].Skip(offset).Take(top)]
            : await _aggregates!.ReadBreakdownAsync(totals, breakdown, offset, top, cancellationToken).ConfigureAwait(false);
        var items = rows.Select(r => new CountRow(r.Key, r.Domains, r.DaneProtected, r.Trusted, r.SurveyProtected, r.MxSecure, StateCounts(r.States))).ToList();
        return Answer(source.Value, new Page<CountRow>(items, Next(offset, items.Count, total)));
    }

    public async Task<RunAnswer<Page<FindingCount>>?> ListFindingsAsync(string runId, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var source = await OpenAsync(runId, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return null;
        }

        var (_, totals, computed) = source.Value;
        var (offset, top) = Window(page, totals.FindingRows);
        var rows = computed is not null
            ? [.. computed.Findings.Skip(offset).Take(top)]
            : await _aggregates!.ReadFindingsAsync(totals, offset, top, cancellationToken).ConfigureAwait(false);
        var items = rows.Select(f => new FindingCount(f.Code, f.Domains, f.Hosts)).ToList();
        return Answer(source.Value, new Page<FindingCount>(items, Next(offset, items.Count, totals.FindingRows)));
    }

    public async Task<TimeSeries?> GetTimeSeriesAsync(string metric, DateTimeOffset? fromUtc, DateTimeOffset? toUtc, CancellationToken cancellationToken = default)
    {
        if (!Metrics.Contains(metric, StringComparer.Ordinal))
        {
            return null;
        }

        var runs = new List<RunManifest>();
        await foreach (var m in _manifests(cancellationToken).ConfigureAwait(false))
        {
            if (m.State == PipelineRunState.Completed && (fromUtc is null || m.StartedUtc >= fromUtc) && (toUtc is null || m.StartedUtc <= toUtc))
            {
                runs.Add(m);
            }
        }

        var points = new List<TimeSeriesPoint>();
        foreach (var m in runs.OrderBy(r => r.StartedUtc).ThenBy(r => r.RunId, StringComparer.Ordinal))
        {
            // One read per run with stored aggregates; the rest are computed from their records.
            var totals = (_aggregates is null ? null : await _aggregates.ReadTotalsAsync(m.RunId, cancellationToken).ConfigureAwait(false))
                ?? (await ComputeAsync(m, cancellationToken).ConfigureAwait(false)).Totals;
            var h = totals.Headline;
            double value = metric switch
            {
                "domains" => totals.Domains,
                "dane-protected-share" => totals.Domains == 0 ? 0 : 100.0 * h.DaneProtected / totals.Domains,
                "survey-signed" => h.SurveySigned,
                "survey-protected" => h.SurveyProtected,
                "survey-protected-share" => h.SurveySigned == 0 ? 0 : 100.0 * h.SurveyProtected / h.SurveySigned,
                _ => totals.Count(HostView.All, Enum.GetValues<DaneState>().Single(s => MetricName(s.ToString()) == metric)),
            };
            points.Add(new TimeSeriesPoint(m.RunId, m.StartedUtc, value));
        }

        return new TimeSeries(metric, points);
    }

    public async Task<RunAnswer<DomainRecord>?> GetDomainAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        var manifest = await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        var record = manifest is null ? null : await store.ReadDomainAsync(runId, domain, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var probes = new List<ProbeObservation>();
        foreach (var target in ProbeTarget.For(record.Observation, 25))
        {
            if (await store.ReadProbeAsync(runId, target.Host, target.Address.ToString(), cancellationToken).ConfigureAwait(false) is { } probe)
            {
                probes.Add(probe.Observation);
            }
        }

        var scan = new DomainScan(record.Observation, probes);
        var verdict = record.CountedVerdict();
        var classified = StatisticsDefinitions.Classify(verdict);
        var value = new DomainRecord(runId, record.Domain, verdict.All, classified.All, classified.MxSecurity, classified.SurveyProtected, scan, CheckReport.Render(scan, verdict));
        return new RunAnswer<DomainRecord>(value, manifest!.State == PipelineRunState.Completed, PreAggregated: false);
    }

    public async Task<RunAnswer<RunComparisonAnswer>?> CompareRunsAsync(string runA, string runB, string? transition, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var a = await store.ReadManifestAsync(runA, cancellationToken).ConfigureAwait(false);
        var b = a is null ? null : await store.ReadManifestAsync(runB, cancellationToken).ConfigureAwait(false);
        if (a is null || b is null)
        {
            return null;
        }

        var comparison = await RunComparison.CompareAsync(
            runA, RunComparison.ClassificationsAsync(store, runA, cancellationToken),
            runB, RunComparison.ClassificationsAsync(store, runB, cancellationToken),
            HostView.All, cancellationToken).ConfigureAwait(false);
        TransitionDomains? domains = null;
        if (transition is not null)
        {
            var number = int.TryParse(page.ContinuationToken, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : 1;
            var shown = comparison.Domains(transition, number, Math.Clamp(page.Top, 1, PageRequest.MaxTop));
            domains = new TransitionDomains(
                shown.Transition, shown.Domains, shown.Items, number < shown.Pages ? (number + 1).ToString(CultureInfo.InvariantCulture) : null);
        }

        var s = comparison.Summary;
        var completed = a.State == PipelineRunState.Completed && b.State == PipelineRunState.Completed;
        return new RunAnswer<RunComparisonAnswer>(new RunComparisonAnswer(s.RunA, s.RunB, s.DomainsA, s.DomainsB, s.Unchanged, s.Transitions, domains), completed, PreAggregated: false);
    }

    /// <summary>"EncryptOnly" → "encrypt-only" (metric and route names).</summary>
    public static string MetricName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i == 0 ? string.Empty : "-") + char.ToLowerInvariant(c) : c.ToString()));
    }

    /// <summary>Domains per state (every state, zero included, so that clients see the full set), all MX security values together.</summary>
    private static SortedDictionary<DaneState, long> StateCounts(IReadOnlyDictionary<DaneState, MxSplit> states) =>
        new(Enum.GetValues<DaneState>().ToDictionary(s => s, s => states.GetValueOrDefault(s)?.Total ?? 0));

    /// <summary>
    /// The run's manifest and totals: a completed run's stored totals when the finaliser wrote them (no
    /// computed aggregates then), else the aggregates computed from its records now. Null for an unknown run.
    /// </summary>
    private async Task<(RunManifest Manifest, RunTotals Totals, RunAggregates? Computed)?> OpenAsync(string runId, CancellationToken cancellationToken)
    {
        var manifest = await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return null;
        }

        if (manifest.State == PipelineRunState.Completed && _aggregates is not null && await _aggregates.ReadTotalsAsync(runId, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return (manifest, stored, null);
        }

        var computed = await ComputeAsync(manifest, cancellationToken).ConfigureAwait(false);
        return (manifest, computed.Totals, computed);
    }

    /// <summary>The run's aggregates from its records; a completed run's kept when this store keeps them.</summary>
    private Task<RunAggregates> ComputeAsync(RunManifest manifest, CancellationToken cancellationToken)
    {
        if (_completed is null || manifest.State != PipelineRunState.Completed)
        {
            return RunAggregates.ComputeAsync(store, manifest, DateTimeOffset.UtcNow, cancellationToken: cancellationToken);
        }

        var kept = _completed.GetOrAdd(manifest.RunId, _ => new Lazy<Task<RunAggregates>>(() => RunAggregates.ComputeAsync(store, manifest, DateTimeOffset.UtcNow, cancellationToken: CancellationToken.None)));
        if (kept.Value.IsFaulted || kept.Value.IsCanceled)
        {
            _completed.TryRemove(manifest.RunId, out _);
        }

        return kept.Value.WaitAsync(cancellationToken);
    }

    private static RunAnswer<T> Answer<T>((RunManifest Manifest, RunTotals Totals, RunAggregates? Computed) source, T value) =>
        new(value, source.Manifest.State == PipelineRunState.Completed, source.Computed is null);

    private static RunState State(PipelineRunState state) => state == PipelineRunState.Completed ? RunState.Completed : RunState.Scanning;

    /// <summary>The offset a continuation token names (0 when it is not one within the rows) and the page size.</summary>
    private static (int Offset, int Top) Window(PageRequest page, long total)
    {
        var offset = int.TryParse(page.ContinuationToken, NumberStyles.None, CultureInfo.InvariantCulture, out var o) && o <= total ? o : 0;
        return (offset, Math.Clamp(page.Top, 1, PageRequest.MaxTop));
    }

    private static string? Next(int offset, int count, long total) =>
        offset + count < total ? (offset + count).ToString(CultureInfo.InvariantCulture) : null;

    private static Page<T> Paged<T>(List<T> all, PageRequest page)
    {
        var (offset, top) = Window(page, all.Count);
        var items = all.Skip(offset).Take(top).ToList();
        return new Page<T>(items, Next(offset, items.Count, all.Count));
    }
}
