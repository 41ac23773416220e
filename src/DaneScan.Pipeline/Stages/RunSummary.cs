using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;
using DaneScan.Statistics;

namespace DaneScan.Pipeline.Stages;

/// <summary>
/// A run's statistics, computed from what the result store holds (so a resumed run's summary covers every
/// attempt; a scan feeds its <see cref="Builder"/> with each batch the store accepted) by the one statistics module (<see cref="RunStatisticsBuilder"/>, definitions in docs/dataset.md):
/// what <c>danescan scan</c> prints, what <c>statistics.json</c> and the statistics table hold, and what the
/// statistics API serves are this <see cref="Report"/>.
/// </summary>
public sealed class RunSummary
{
    private RunSummary(RunStatisticsReport report, IReadOnlyDictionary<DomainRejectReason, long> rejected, IReadOnlyDictionary<string, long> domainsPerProbe)
    {
        Report = report;
        Rejected = rejected;
        DomainsPerProbe = domainsPerProbe;
    }

    /// <summary>Every number about the run (totals, breakdowns, findings).</summary>
    public RunStatisticsReport Report { get; }

    public string RunId => Report.Totals.RunId;

    public long Domains => Report.Totals.Domains;

    public long Probes => Report.Totals.Probes;

    /// <summary>Domains whose verdict was recomputed because the stored one was missing.</summary>
    public long Recomputed => Report.Totals.Recomputed;

    /// <summary>Domains stored more than once (must be 0).</summary>
    public long Duplicates => Report.Totals.Duplicates;

    public IReadOnlyDictionary<DomainRejectReason, long> Rejected { get; }

    public long OptedOut => Report.Totals.DomainsOptedOut;

    /// <summary>How many recorded domains reference each stored probe ("host|address").</summary>
    public IReadOnlyDictionary<string, long> DomainsPerProbe { get; }

    /// <summary>Reads the run's records (streaming) and its manifest's list counts.</summary>
    public static Task<RunSummary> ComputeAsync(IResultStore store, string runId, RunManifest? manifest, CancellationToken cancellationToken = default) =>
        ComputeAsync(store, runId, manifest, observe: null, DateTimeOffset.UtcNow, cancellationToken);

    /// <summary>
    /// As <see cref="ComputeAsync(IResultStore, string, RunManifest?, CancellationToken)"/>, and hands each
    /// counted domain record (duplicates skipped) with the verdict counted to <paramref name="observe"/>.
    /// </summary>
    public static async Task<RunSummary> ComputeAsync(
        IResultStore store, string runId, RunManifest? manifest, Action<DomainRecord, DomainVerdict>? observe, DateTimeOffset computedUtc,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var builder = new Builder(runId);
        var seen = new DomainDeduplicator();
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            if (!seen.Add(record.Domain))
            {
                builder.CountDuplicate();
                continue;
            }

            var verdict = builder.Add(record);
            observe?.Invoke(record, verdict);
        }

        return await builder.BuildAsync(store, manifest, computedUtc, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same computation fed record by record as a run stores them (so the end of a run does not read its
    /// records back): every record the store accepted goes to <see cref="Add"/> once, a record stored twice to
    /// <see cref="CountDuplicate"/>; the probes are read from the store at the end (one line per probe).
    /// </summary>
    public sealed class Builder(string runId)
    {
        private readonly RunStatisticsBuilder _statistics = new(runId, PublicSuffixList.Default);
        private readonly Dictionary<string, long> _perProbe = new(StringComparer.Ordinal);

        public string RunId { get; } = runId;

        /// <summary>Counts one stored domain record; returns the verdict counted (the stored one, or recomputed).</summary>
        public DomainVerdict Add(DomainRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            var verdict = record.CountedVerdict();
            _statistics.AddDomain(verdict, record.Rank, recomputed: record.Verdict is null);
            foreach (var key in record.ProbeKeys)
            {
                _perProbe[key] = _perProbe.GetValueOrDefault(key) + 1;
            }

            return verdict;
        }

        /// <summary>Counts a domain the store holds more than once.</summary>
        public void CountDuplicate() => _statistics.CountDuplicate();

        /// <summary>Adds the run's stored probes and the manifest's list counts and builds the summary.</summary>
        public async Task<RunSummary> BuildAsync(IResultStore store, RunManifest? manifest, DateTimeOffset computedUtc, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(store);
            await foreach (var probe in store.EnumerateProbesAsync(RunId, cancellationToken).ConfigureAwait(false))
            {
                _statistics.AddProbe(probe.Observation);
            }

            var rejected = new SortedDictionary<DomainRejectReason, long>();
            if (manifest is not null)
            {
                foreach (var list in manifest.Lists)
                {
                    foreach (var (reason, count) in list.Rejected)
                    {
                        rejected[reason] = rejected.GetValueOrDefault(reason) + count;
                    }
                }

                _statistics.SetListCounts(rejected.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal), manifest.Counts.DomainsOptedOut);
            }

            return new RunSummary(_statistics.Build(computedUtc), rejected, _perProbe);
        }
    }

    /// <summary>The flat counts the store keeps (<c>statistics.json</c>, the statistics table): docs/dataset.md, "Run statistics".</summary>
    public RunStatistics ToStatistics(DateTimeOffset computedUtc)
    {
        var counts = StatisticsCounts.ToCounts(Report);
        foreach (var (k, v) in DomainsPerProbe)
        {
            counts[$"probe.domains|{k}"] = v;
        }

        return new RunStatistics { RunId = RunId, ComputedUtc = computedUtc, Counts = counts };
    }

    /// <summary>The end-of-run report for people; text from the network is escaped for the terminal.</summary>
    public string Render() => StatisticsText.Render(Report);
}
