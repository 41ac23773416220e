using System.Globalization;
using System.Text;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Pipeline.Stages;

/// <summary>
/// A run's totals, computed from what the result store holds (so a resumed run's summary covers every
/// attempt): outcomes weighted by domains and by distinct MX hosts, the MX hosts serving the most domains,
/// the TLSA parameters published, findings, probes and how many domains use each, rejected list lines.
/// </summary>
public sealed class RunSummary
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostOutcome> _hostOutcome = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _hostTlsa = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _domainsPerHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _domainsPerProbe = new(StringComparer.Ordinal);

    public string RunId { get; }

    public long Domains { get; private set; }

    public long Probes { get; private set; }

    /// <summary>Domains whose verdict was recomputed because the stored one was missing.</summary>
    public long Recomputed { get; private set; }

    /// <summary>Domains stored more than once (must be 0).</summary>
    public long Duplicates { get; private set; }

    public IReadOnlyDictionary<DomainRejectReason, long> Rejected { get; private set; } = new Dictionary<DomainRejectReason, long>();

    public long OptedOut { get; private set; }

    private RunSummary(string runId) => RunId = runId;

    /// <summary>Reads the run's records (streaming) and its manifest's list counts.</summary>
    public static Task<RunSummary> ComputeAsync(IResultStore store, string runId, RunManifest? manifest, CancellationToken cancellationToken = default) =>
        ComputeAsync(store, runId, manifest, observe: null, cancellationToken);

    /// <summary>
    /// As <see cref="ComputeAsync(IResultStore, string, RunManifest?, CancellationToken)"/>, and hands each
    /// counted domain record (duplicates skipped) with the verdict the summary counted to
    /// <paramref name="observe"/>, so that callers derive further breakdowns in the same pass over the records.
    /// </summary>
    public static async Task<RunSummary> ComputeAsync(IResultStore store, string runId, RunManifest? manifest, Action<DomainRecord, DomainVerdict>? observe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var summary = new RunSummary(runId);
        var seen = new DomainDeduplicator();
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            if (!seen.Add(record.Domain))
            {
                summary.Duplicates++;
                continue;
            }

            var verdict = summary.Add(record);
            observe?.Invoke(record, verdict);
        }

        await foreach (var _ in store.EnumerateProbesAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            summary.Probes++;
        }

        if (manifest is not null)
        {
            var rejected = new SortedDictionary<DomainRejectReason, long>();
            foreach (var list in manifest.Lists)
            {
                foreach (var (reason, count) in list.Rejected)
                {
                    rejected[reason] = rejected.GetValueOrDefault(reason) + count;
                }
            }

            summary.Rejected = rejected;
            summary.OptedOut = manifest.Counts.DomainsOptedOut;
        }

        return summary;
    }

    private DomainVerdict Add(DomainRecord record)
    {
        Domains++;
        var verdict = record.Verdict;
        if (verdict is null)
        {
            // Older records without a stored verdict: judge the DNS observation alone (no probes to hand).
            verdict = DaneJudge.Judge(new DomainScan(record.Observation, []));
            Recomputed++;
        }

        Count($"domains.all|{verdict.All}");
        Count($"domains.primary|{verdict.Primary}");
        Count($"domains.mx|{verdict.MxStatus}");
        foreach (var code in verdict.Findings.Select(f => f.Code).Distinct())
        {
            Count($"findings|{code}");
        }

        foreach (var host in verdict.Hosts)
        {
            _hostOutcome.TryAdd(host.Name, host.Outcome);
        }

        foreach (var host in record.Observation.Hosts)
        {
            _domainsPerHost[host.Name] = _domainsPerHost.GetValueOrDefault(host.Name) + 1;
            if (host.Tlsa is { Records.Count: > 0 } tlsa && !_hostTlsa.ContainsKey(host.Name))
            {
                _hostTlsa[host.Name] = string.Join(',', tlsa.Records.Select(r => $"{(byte)r.Usage} {(byte)r.Selector} {(byte)r.MatchingType}").Distinct().Order(StringComparer.Ordinal));
            }
        }

        foreach (var key in record.ProbeKeys)
        {
            _domainsPerProbe[key] = _domainsPerProbe.GetValueOrDefault(key) + 1;
        }

        return verdict;
    }

    private void Count(string key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

    /// <summary>Domains by a dimension ("all", "primary", "mx").</summary>
    public IReadOnlyDictionary<string, long> DomainsBy(string dimension) => Prefixed($"domains.{dimension}|");

    /// <summary>Distinct MX hosts by their outcome (each host counted once, by the first verdict that judged it).</summary>
    public IReadOnlyDictionary<string, long> HostsByOutcome =>
        _hostOutcome.Values.GroupBy(o => o.ToString()).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);

    /// <summary>Distinct MX hosts by each TLSA parameter triple "usage selector matching-type" they publish.</summary>
    public IReadOnlyDictionary<string, long> TlsaParameters =>
        _hostTlsa.Values.SelectMany(v => v.Split(',')).GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Findings => Prefixed("findings|");

    /// <summary>The MX hosts serving the most domains.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> TopMxHosts(int n) =>
        [.. _domainsPerHost.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n)];

    /// <summary>How many recorded domains reference each stored probe ("host|address").</summary>
    public IReadOnlyDictionary<string, long> DomainsPerProbe => _domainsPerProbe;

    private Dictionary<string, long> Prefixed(string prefix) =>
        _counts.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    /// <summary>The pre-aggregated statistics the store keeps for dashboards.</summary>
    public RunStatistics ToStatistics(DateTimeOffset computedUtc)
    {
        var counts = new Dictionary<string, long>(_counts, StringComparer.Ordinal)
        {
            ["domains|total"] = Domains,
            ["probes|total"] = Probes,
            ["hosts|total"] = _domainsPerHost.Count,
        };
        foreach (var (k, v) in HostsByOutcome)
        {
            counts[$"hosts.outcome|{k}"] = v;
        }

        foreach (var (k, v) in TlsaParameters)
        {
            counts[$"tlsa.params|{k}"] = v;
        }

        foreach (var (k, v) in TopMxHosts(100))
        {
            counts[$"mxhost.domains|{k}"] = v;
        }

        foreach (var (k, v) in _domainsPerProbe)
        {
            counts[$"probe.domains|{k}"] = v;
        }

        foreach (var (k, v) in Rejected)
        {
            counts[$"rejected|{k}"] = v;
        }

        return new RunStatistics { RunId = RunId, ComputedUtc = computedUtc, Counts = counts };
    }

    /// <summary>The end-of-run report for people.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        // MX host names and finding texts come from the network: escaped for the terminal (SafeText).
        void Line(string text) => sb.Append(SafeText.ForTerminal(text)).Append('\n');
        void Table(string title, IEnumerable<KeyValuePair<string, long>> rows, long total)
        {
            Line(title);
            var any = false;
            foreach (var (k, v) in rows)
            {
                any = true;
                Line(string.Create(CultureInfo.InvariantCulture, $"  {k,-40} {v,10} {(total > 0 ? 100.0 * v / total : 0),6:0.0}%"));
            }

            if (!any)
            {
                Line("  (none)");
            }
        }

        Line(string.Create(CultureInfo.InvariantCulture, $"run {RunId}: {Domains} domains recorded, {Probes} probes (distinct MX host addresses), {_domainsPerHost.Count} distinct MX hosts"));
        Table("domains by DANE status, all MX:", Sorted(DomainsBy("all")), Domains);
        Table("domains by DANE status, primary MX:", Sorted(DomainsBy("primary")), Domains);
        Table("domains by MX status:", Sorted(DomainsBy("mx")), Domains);
        Table("MX hosts by outcome (each host once):", Sorted(HostsByOutcome), _hostOutcome.Count);
        Table("top MX hosts by domains served:", TopMxHosts(10), Domains);
        Table("TLSA parameters (usage selector matching-type, per MX host):", Sorted(TlsaParameters), _hostTlsa.Count);
        Table("findings (domains):", Sorted(Findings), Domains);
        var rejectedTotal = Rejected.Values.Sum();
        Table($"rejected list lines ({rejectedTotal}):", Rejected.Select(kv => new KeyValuePair<string, long>(kv.Key.ToString(), kv.Value)), rejectedTotal);
        if (OptedOut > 0)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"opted-out domains skipped: {OptedOut}"));
        }

        return sb.ToString();
    }

    private static IEnumerable<KeyValuePair<string, long>> Sorted(IReadOnlyDictionary<string, long> d) =>
        d.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal);
}
