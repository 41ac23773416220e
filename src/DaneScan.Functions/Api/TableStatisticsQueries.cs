using System.Globalization;
using DaneScan.Core;
using DaneScan.Pipeline.Engine;
using DaneScan.Storage;
using PipelineRunState = DaneScan.Pipeline.Ports.RunState;
using StoredDomain = DaneScan.Pipeline.Ports.DomainRecord;
using StoreSummary = DaneScan.Pipeline.Stages.RunSummary;

namespace DaneScan.Functions.Api;

/// <summary>
/// The statistics API's queries over the Table store. Run totals come from <see cref="StoreSummary"/> (the
/// same computation <c>danescan scan</c> reports), so the API and the CLI count alike. Each query reads the
/// run's records: fine for lab and survey sizes served with the API's cache headers; a pre-aggregated path
/// (the statistics table) is the step for internet-scale runs. Paging is by offset in a stable order; the
/// continuation token is that offset.
/// </summary>
public sealed class TableStatisticsQueries(TableResultStore store) : IStatisticsQueries
{
    /// <summary>The time-series metrics: the run's domain count, its share of protected domains (percent), and each primary status's count.</summary>
    public static IReadOnlyList<string> Metrics { get; } =
        ["domains", "protected-share", .. Enum.GetValues<DomainDaneStatus>().Select(MetricName)];

    public async Task<Page<RunListItem>> ListRunsAsync(PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        var runs = new List<RunListItem>();
        await foreach (var m in store.EnumerateManifestsAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new RunListItem(m.RunId, m.StartedUtc, m.EndedUtc, State(m.State), m.Counts.DomainsEnumerated));
        }

        return Paged([.. runs.OrderByDescending(r => r.StartedUtc).ThenBy(r => r.RunId, StringComparer.Ordinal)], page);
    }

    public async Task<RunSummary?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var manifest = await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return null;
        }

        var summary = await StoreSummary.ComputeAsync(store, runId, manifest, cancellationToken).ConfigureAwait(false);
        return new RunSummary(
            manifest.RunId,
            manifest.StartedUtc,
            manifest.EndedUtc,
            State(manifest.State),
            manifest.ScannerVersion ?? string.Empty,
            manifest.TrustMode ?? DnsTrustMode.ValidatingResolverAd,
            manifest.VantagePoint ?? string.Empty,
            [.. manifest.Lists.Select(l => l.Source)],
            manifest.Counts.DomainsEnumerated,
            summary.Rejected.Values.Sum(),
            Parsed<DomainDaneStatus>(summary.DomainsBy("primary")),
            summary.Probes,
            Parsed<HostOutcome>(summary.HostsByOutcome));
    }

    public async Task<Page<CountRow>?> GetCountsAsync(string runId, CountDimension dimension, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var rows = new Dictionary<string, SortedDictionary<DomainDaneStatus, long>>(StringComparer.Ordinal);
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            var status = Verdict(record).Primary;
            foreach (var key in Keys(record, dimension))
            {
                var row = rows.TryGetValue(key, out var r) ? r : rows[key] = [];
                row[status] = row.GetValueOrDefault(status) + 1;
            }
        }

        var all = rows
            .Select(kv => new CountRow(kv.Key, kv.Value.Values.Sum(), kv.Value))
            .OrderByDescending(r => r.Domains).ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();
        return Paged(all, page);
    }

    public async Task<Page<FindingCount>?> ListFindingsAsync(string runId, PageRequest page, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (await store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var domains = new Dictionary<string, long>(StringComparer.Ordinal);
        var hosts = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            var findings = Verdict(record).Findings;
            foreach (var code in findings.Select(f => f.Code.ToString()).Distinct(StringComparer.Ordinal))
            {
                domains[code] = domains.GetValueOrDefault(code) + 1;
            }

            foreach (var f in findings.Where(f => f.Host is not null))
            {
                var set = hosts.TryGetValue(f.Code.ToString(), out var s) ? s : hosts[f.Code.ToString()] = new HashSet<string>(StringComparer.Ordinal);
                set.Add(f.Host!);
            }
        }

        var all = domains
            .Select(kv => new FindingCount(kv.Key, kv.Value, hosts.TryGetValue(kv.Key, out var h) ? h.Count : 0))
            .OrderByDescending(f => f.Domains).ThenBy(f => f.Code, StringComparer.Ordinal)
            .ToList();
        return Paged(all, page);
    }

    public async Task<TimeSeries?> GetTimeSeriesAsync(string metric, DateTimeOffset? fromUtc, DateTimeOffset? toUtc, CancellationToken cancellationToken = default)
    {
        if (!Metrics.Contains(metric, StringComparer.Ordinal))
        {
            return null;
        }

        var runs = new List<Pipeline.Ports.RunManifest>();
        await foreach (var m in store.EnumerateManifestsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (m.State == PipelineRunState.Completed && (fromUtc is null || m.StartedUtc >= fromUtc) && (toUtc is null || m.StartedUtc <= toUtc))
            {
                runs.Add(m);
            }
        }

        var points = new List<TimeSeriesPoint>();
        foreach (var m in runs.OrderBy(r => r.StartedUtc).ThenBy(r => r.RunId, StringComparer.Ordinal))
        {
            var summary = await StoreSummary.ComputeAsync(store, m.RunId, m, cancellationToken).ConfigureAwait(false);
            var byStatus = Parsed<DomainDaneStatus>(summary.DomainsBy("primary"));
            double value = metric switch
            {
                "domains" => summary.Domains,
                "protected-share" => summary.Domains == 0 ? 0 : 100.0 * byStatus.GetValueOrDefault(DomainDaneStatus.Protected) / summary.Domains,
                _ => byStatus.GetValueOrDefault(Enum.GetValues<DomainDaneStatus>().Single(s => MetricName(s) == metric)),
            };
            points.Add(new TimeSeriesPoint(m.RunId, m.StartedUtc, value));
        }

        return new TimeSeries(metric, points);
    }

    public async Task<DomainRecord?> GetDomainAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        var record = await store.ReadDomainAsync(runId, domain, cancellationToken).ConfigureAwait(false);
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

        return new DomainRecord(runId, record.Domain, Verdict(record).Primary, new DomainScan(record.Observation, probes));
    }

    /// <summary>"EncryptOnly" → "encrypt-only".</summary>
    public static string MetricName(DomainDaneStatus status) =>
        string.Concat(status.ToString().Select((c, i) => char.IsUpper(c) ? (i == 0 ? string.Empty : "-") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>The stored verdict; a record stored without one (its probes not all in) is judged on DNS alone, as RunSummary does.</summary>
    private static DomainVerdict Verdict(StoredDomain record) => record.Verdict ?? DaneJudge.Judge(new DomainScan(record.Observation, []));

    /// <summary>
    /// The breakdown keys of a domain: its TLD; its MX provider (the last two labels of its most preferred
    /// MX host, "(no mx)" without one; no public-suffix list here, so "example.co.uk" hosts count as "co.uk");
    /// each TLSA "usage selector mtype" its MX hosts publish ("(no tlsa)" when none).
    /// </summary>
    private static IEnumerable<string> Keys(StoredDomain record, CountDimension dimension)
    {
        var dns = record.Observation;
        switch (dimension)
        {
            case CountDimension.Tld:
                return [dns.Domain[(dns.Domain.LastIndexOf('.') + 1)..]];
            case CountDimension.MxProvider:
                var mx = dns.Hosts.OrderBy(h => h.Preference).FirstOrDefault();
                return [mx is null ? "(no mx)" : string.Join('.', mx.Name.Split('.').TakeLast(2))];
            default:
                var triples = dns.Hosts
                    .SelectMany(h => h.Tlsa?.Records ?? [])
                    .Select(r => string.Create(CultureInfo.InvariantCulture, $"{(byte)r.Usage} {(byte)r.Selector} {(byte)r.MatchingType}"))
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                return triples.Count == 0 ? ["(no tlsa)"] : triples;
        }
    }

    private static Dictionary<T, long> Parsed<T>(IReadOnlyDictionary<string, long> counts)
        where T : struct, Enum =>
        counts.Where(kv => Enum.TryParse<T>(kv.Key, out _)).ToDictionary(kv => Enum.Parse<T>(kv.Key), kv => kv.Value);

    private static RunState State(PipelineRunState state) => state == PipelineRunState.Completed ? RunState.Completed : RunState.Scanning;

    private static Page<T> Paged<T>(List<T> all, PageRequest page)
    {
        var offset = int.TryParse(page.ContinuationToken, NumberStyles.None, CultureInfo.InvariantCulture, out var o) && o <= all.Count ? o : 0;
        var top = Math.Clamp(page.Top, 1, PageRequest.MaxTop);
        var items = all.Skip(offset).Take(top).ToList();
        var next = offset + items.Count < all.Count ? (offset + items.Count).ToString(CultureInfo.InvariantCulture) : null;
        return new Page<T>(items, next);
    }
}
