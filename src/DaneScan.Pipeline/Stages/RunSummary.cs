using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;
using DaneScan.Statistics;

namespace DaneScan.Pipeline.Stages;

/// <summary>
/// A run's statistics, computed from what the result store holds (so a resumed run's summary covers every
/// attempt) by the one statistics module (<see cref="RunStatisticsBuilder"/>, definitions in docs/dataset.md):
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
        var builder = new RunStatisticsBuilder(runId, PublicSuffixList.Default);
        var perProbe = new Dictionary<string, long>(StringComparer.Ordinal);
        var seen = new DomainDeduplicator();
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            if (!seen.Add(record.Domain))
            {
                builder.CountDuplicate();
                continue;
            }

            var verdict = record.CountedVerdict();
            builder.AddDomain(verdict, record.Rank, recomputed: record.Verdict is null);
            foreach (var key in record.ProbeKeys)
            {
                perProbe[key] = perProbe.GetValueOrDefault(key) + 1;
            }

            observe?.Invoke(record, verdict);
        }

        await foreach (var probe in store.EnumerateProbesAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            builder.AddProbe(probe.Observation);
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

            builder.SetListCounts(rejected.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal), manifest.Counts.DomainsOptedOut);
        }

        return new RunSummary(builder.Build(computedUtc), rejected, perProbe);
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
