using System.Globalization;
using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Statistics;

/// <summary>
/// Computes a run's statistics in one pass over its domain verdicts (and, for probe counts, its probes):
/// the one place every published number comes from (the CLI summary, <c>statistics.json</c>, the fleet's
/// pre-aggregated documents, the statistics API, the exports). Feed each domain once; duplicates are the
/// caller's to skip (<see cref="CountDuplicate"/>). Memory: one row per breakdown key, one entry per distinct
/// MX host and (host, address).
/// </summary>
public sealed class RunStatisticsBuilder(string runId, PublicSuffixList publicSuffixes)
{
    /// <summary>How many MX hosts <see cref="RunTotals.TopMxHosts"/> keeps.</summary>
    public const int TopMxHostCount = 100;

    public const string NoMx = "(no mx)";
    public const string NoTlsa = "(no tlsa)";
    public const string NoneKey = "(none)";

    private readonly Dictionary<BreakdownDimension, Dictionary<string, RowCounter>> _rows =
        Enum.GetValues<BreakdownDimension>().ToDictionary(d => d, _ => new Dictionary<string, RowCounter>(StringComparer.Ordinal));

    private readonly Dictionary<MxSecurity, long> _mxSecurity = [];
    private readonly Dictionary<MxStatus, long> _mxStatus = [];
    private readonly Dictionary<DaneState, MxSplit> _primary = [];
    private readonly Dictionary<DaneState, MxSplit> _all = [];
    private readonly Dictionary<string, HostVerdict> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _domainsPerHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<HostOutcome, long> _hostPairs = [];
    private readonly Dictionary<string, HostOutcome> _addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _ips = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<ProbeOutcome, long> _probes = [];
    private readonly Dictionary<string, long> _findingDomains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _findingHosts = new(StringComparer.Ordinal);
    private long _domains, _daneProtected, _trusted, _verifiedPrimary, _trustedPrimary, _surveySigned, _surveyProtected;
    private long _recomputed, _duplicates, _probeCount, _optedOut;
    private IReadOnlyDictionary<string, long> _rejected = new Dictionary<string, long>();
    private readonly List<string> _keys = new(8);

    /// <summary>The names of finding codes and host reasons, made once (they key the tables).</summary>
    private static readonly Dictionary<FindingCode, string> FindingNames = Enum.GetValues<FindingCode>().ToDictionary(c => c, c => c.ToString());
    private static readonly Dictionary<HostReason, string> ReasonNames = Enum.GetValues<HostReason>().ToDictionary(r => r, r => r.ToString());

    public string RunId { get; } = runId;

    /// <summary>Counts one domain's verdict; <paramref name="rank"/> is its list rank, if the list carries ranks.</summary>
    public DomainClassification AddDomain(DomainVerdict verdict, long? rank = null, bool recomputed = false)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var c = StatisticsDefinitions.Classify(verdict);
        _domains++;
        _recomputed += recomputed ? 1 : 0;
        Increment(_mxSecurity, c.MxSecurity);
        Increment(_mxStatus, c.MxStatus);
        _primary[c.Primary] = _primary.GetValueOrDefault(c.Primary, MxSplit.Zero).Add(c.MxSecurity);
        _all[c.All] = _all.GetValueOrDefault(c.All, MxSplit.Zero).Add(c.MxSecurity);
        _daneProtected += c.All == DaneState.Verified ? 1 : 0;
        _trusted += c.All == DaneState.Trusted ? 1 : 0;
        _verifiedPrimary += c.Primary == DaneState.Verified ? 1 : 0;
        _trustedPrimary += c.Primary == DaneState.Trusted ? 1 : 0;
        _surveySigned += c.SurveySigned ? 1 : 0;
        _surveyProtected += c.SurveyProtected ? 1 : 0;

        foreach (var host in verdict.Hosts)
        {
            _hosts.TryAdd(host.Name, host);
            _domainsPerHost[host.Name] = _domainsPerHost.GetValueOrDefault(host.Name) + 1;
            Increment(_hostPairs, host.Outcome);
            foreach (var address in host.Addresses)
            {
                _addresses.TryAdd(ProbeKey.Of(host.Name, address.Address), address.Outcome);
                _ips.Add(address.Address);
            }
        }

        // Loops over small lists rather than LINQ: this runs once per domain of a survey.
        var keys = _keys;
        keys.Clear();
        foreach (var f in verdict.Findings)
        {
            AddDistinct(keys, FindingName(f.Code));
            if (f.Host is not null)
            {
                var code = FindingName(f.Code);
                var set = _findingHosts.TryGetValue(code, out var s) ? s : _findingHosts[code] = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                set.Add(f.Host);
            }
        }

        foreach (var code in keys)
        {
            _findingDomains[code] = _findingDomains.GetValueOrDefault(code) + 1;
        }

        foreach (var (dimension, table) in _rows)
        {
            keys.Clear();
            AddKeys(keys, verdict, rank, dimension);
            foreach (var key in keys)
            {
                var row = table.TryGetValue(key, out var r) ? r : table[key] = new RowCounter();
                row.Add(c);
            }
        }

        return c;
    }

    private static void AddDistinct(List<string> keys, string key)
    {
        foreach (var k in keys)
        {
            if (string.Equals(k, key, StringComparison.Ordinal))
            {
                return;
            }
        }

        keys.Add(key);
    }

    private static string FindingName(FindingCode code) => FindingNames.TryGetValue(code, out var name) ? name : code.ToString();

    /// <summary>Counts one stored probe (by its outcome).</summary>
    public void AddProbe(ProbeObservation probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        _probeCount++;
        Increment(_probes, probe.Outcome);
    }

    /// <summary>Counts a domain stored more than once (and not counted again).</summary>
    public void CountDuplicate() => _duplicates++;

    /// <summary>The list-reading counts from the run's manifest: rejected lines by reason, opted-out domains.</summary>
    public void SetListCounts(IReadOnlyDictionary<string, long> rejected, long optedOut)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        _rejected = new SortedDictionary<string, long>(rejected.ToDictionary(), StringComparer.Ordinal);
        _optedOut = optedOut;
    }

    /// <summary>The breakdown keys of a domain (see <see cref="BreakdownDimension"/>), each once.</summary>
    public IReadOnlyList<string> Keys(DomainVerdict verdict, long? rank, BreakdownDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var keys = new List<string>(2);
        AddKeys(keys, verdict, rank, dimension);
        return keys;
    }

    /// <summary>Adds the distinct breakdown keys of a domain to <paramref name="keys"/> (empty on entry).</summary>
    private void AddKeys(List<string> keys, DomainVerdict verdict, long? rank, BreakdownDimension dimension)
    {
        switch (dimension)
        {
            case BreakdownDimension.Tld:
                keys.Add(verdict.Domain[(verdict.Domain.LastIndexOf('.') + 1)..]);
                break;
            case BreakdownDimension.PublicSuffix:
                keys.Add(publicSuffixes.PublicSuffix(verdict.Domain));
                break;
            case BreakdownDimension.RegistrableDomain:
                keys.Add(publicSuffixes.RegistrableDomain(verdict.Domain) ?? verdict.Domain);
                break;
            case BreakdownDimension.MxProvider:
                foreach (var h in verdict.Hosts)
                {
                    if (h.Primary)
                    {
                        AddDistinct(keys, Provider(h.Name));
                    }
                }

                OrNone(keys, NoMx);
                break;
            case BreakdownDimension.TlsaParameters:
                foreach (var h in verdict.Hosts)
                {
                    if (HasSecureTlsa(h))
                    {
                        foreach (var t in h.Tlsa)
                        {
                            AddDistinct(keys, Parameters(t.Record));
                        }
                    }
                }

                OrNone(keys, NoTlsa);
                break;
            case BreakdownDimension.DaneUsage:
                bool any = false, ee = false, ta = false;
                foreach (var h in verdict.Hosts)
                {
                    if (HasSecureTlsa(h))
                    {
                        any = true;
                        foreach (var t in h.Tlsa)
                        {
                            ee |= t.Record.Usage == TlsaUsage.DaneEe;
                            ta |= t.Record.Usage == TlsaUsage.DaneTa;
                        }
                    }
                }

                keys.Add(any ? UsageKey(ee, ta) : NoTlsa);
                break;
            case BreakdownDimension.FailureResultType:
                foreach (var h in verdict.Hosts)
                {
                    if (h.ResultType != Rfc8460ResultType.None)
                    {
                        AddDistinct(keys, ResultTypeName(h.ResultType));
                    }
                }

                OrNone(keys, NoneKey);
                break;
            case BreakdownDimension.FailureReason:
                foreach (var h in verdict.Hosts)
                {
                    if (IsDaneFailure(h))
                    {
                        AddDistinct(keys, ReasonNames.TryGetValue(h.Reason, out var name) ? name : h.Reason.ToString());
                    }
                }

                OrNone(keys, NoneKey);
                break;
            case BreakdownDimension.Finding:
                foreach (var f in verdict.Findings)
                {
                    AddDistinct(keys, FindingName(f.Code));
                }

                OrNone(keys, NoneKey);
                break;
            default:
                foreach (var bucket in StatisticsDefinitions.RankBuckets(rank))
                {
                    AddDistinct(keys, bucket);
                }

                break;
        }
    }

    private static bool HasSecureTlsa(HostVerdict h) => h.TlsaOutcome == DnsOutcome.SecureAnswer && h.Tlsa.Count > 0;

    private static void OrNone(List<string> keys, string none)
    {
        if (keys.Count == 0)
        {
            keys.Add(none);
        }
    }

    /// <summary>The MX provider of a host: its registrable domain under the ICANN section of the list (the host name itself when it has none).</summary>
    public string Provider(string host) => publicSuffixes.RegistrableDomain(host, icannOnly: true) ?? DnsName.Normalize(host);

    /// <summary>"3 1 1".</summary>
    public static string Parameters(TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Create(CultureInfo.InvariantCulture, $"{(byte)record.Usage} {(byte)record.Selector} {(byte)record.MatchingType}");
    }

    /// <summary>"dane-ee", "dane-ta", "dane-ee+dane-ta", or "other" when neither DANE usage is published.</summary>
    public static string UsageKey(IEnumerable<TlsaUsage> usages)
    {
        var set = usages.ToHashSet();
        return UsageKey(set.Contains(TlsaUsage.DaneEe), set.Contains(TlsaUsage.DaneTa));
    }

    private static string UsageKey(bool ee, bool ta) => ee && ta ? "dane-ee+dane-ta" : ee ? "dane-ee" : ta ? "dane-ta" : "other";

    /// <summary>The RFC 8460 §4.3 name of a result type ("starttls-not-supported", ...).</summary>
    public static string ResultTypeName(Rfc8460ResultType type) => Rfc8460Names.Of(type);

    /// <summary>A host with DANE (or a failed TLSA lookup) that a DANE sender could not use securely.</summary>
    public static bool IsDaneFailure(HostVerdict host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Outcome is HostOutcome.AuthenticationFailed or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed or
            HostOutcome.Unreachable or HostOutcome.TlsaLookupFailed;
    }

    /// <summary>The statistics so far.</summary>
    public RunStatisticsReport Build(DateTimeOffset computedUtc, int pageRows = 1000)
    {
        var breakdowns = _rows.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<BreakdownRow>)[.. kv.Value
                .Select(r => r.Value.ToRow(r.Key))
                .OrderByDescending(r => r.Domains).ThenBy(r => r.Key, StringComparer.Ordinal)]);
        List<FindingTotal> findings = [.. _findingDomains
            .Select(kv => new FindingTotal(kv.Key, kv.Value, _findingHosts.TryGetValue(kv.Key, out var h) ? h.Count : 0))
            .OrderByDescending(f => f.Domains).ThenBy(f => f.Code, StringComparer.Ordinal)];

        var daneHosts = _hosts.Values.Where(h => h.TlsaOutcome == DnsOutcome.SecureAnswer && h.Tlsa.Count > 0).ToList();
        var totals = new RunTotals
        {
            RunId = RunId,
            ComputedUtc = computedUtc,
            Domains = _domains,
            Probes = _probeCount,
            DomainsRejected = _rejected.Values.Sum(),
            DomainsOptedOut = _optedOut,
            Recomputed = _recomputed,
            Duplicates = _duplicates,
            Headline = new HeadlineCounts(_domains, _daneProtected, _trusted, _verifiedPrimary, _trustedPrimary, _surveySigned, _surveyProtected),
            MxSecurity = Sorted(_mxSecurity),
            MxStatus = Sorted(_mxStatus),
            Primary = Sorted(_primary),
            All = Sorted(_all),
            MxHosts = new MxHostCounts(
                _hosts.Count,
                Sorted(_hosts.Values.GroupBy(h => h.Outcome).ToDictionary(g => g.Key, g => (long)g.Count())),
                Sorted(_hostPairs),
                new SortedDictionary<string, long>(daneHosts.SelectMany(h => h.Tlsa.Select(t => Parameters(t.Record)).Distinct()).GroupBy(p => p).ToDictionary(g => g.Key, g => (long)g.Count()), StringComparer.Ordinal),
                new SortedDictionary<string, long>(daneHosts.GroupBy(h => UsageKey(h.Tlsa.Select(t => t.Record.Usage))).ToDictionary(g => g.Key, g => (long)g.Count()), StringComparer.Ordinal),
                Sorted(_hosts.Values.Where(h => h.ResultType != Rfc8460ResultType.None).GroupBy(h => h.ResultType).ToDictionary(g => g.Key, g => (long)g.Count()))),
            Addresses = new AddressCounts(_addresses.Count, _ips.Count, Sorted(_addresses.Values.GroupBy(o => o).ToDictionary(g => g.Key, g => (long)g.Count()))),
            ProbesByOutcome = Sorted(_probes),
            Rejected = _rejected,
            TopMxHosts = [.. _domainsPerHost.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(TopMxHostCount).Select(kv => new KeyCount(kv.Key, kv.Value))],
            BreakdownRows = new SortedDictionary<BreakdownDimension, long>(breakdowns.ToDictionary(kv => kv.Key, kv => (long)kv.Value.Count)),
            FindingRows = findings.Count,
            PageRows = pageRows,
        };
        return new RunStatisticsReport(totals, breakdowns, findings);
    }

    private static void Increment<T>(Dictionary<T, long> d, T key)
        where T : notnull => d[key] = d.GetValueOrDefault(key) + 1;

    private static SortedDictionary<T, TV> Sorted<T, TV>(Dictionary<T, TV> d)
        where T : notnull => new(d);

    private sealed class RowCounter
    {
        private readonly Dictionary<DaneState, MxSplit> _states = [];
        private long _domains, _protected, _trusted, _survey, _mxSecure;

        public void Add(DomainClassification c)
        {
            _domains++;
            _protected += c.All == DaneState.Verified ? 1 : 0;
            _trusted += c.All == DaneState.Trusted ? 1 : 0;
            _survey += c.SurveyProtected ? 1 : 0;
            _mxSecure += c.MxSecurity == MxSecurity.Secure ? 1 : 0;
            _states[c.All] = _states.GetValueOrDefault(c.All, MxSplit.Zero).Add(c.MxSecurity);
        }

        public BreakdownRow ToRow(string key) => new(key, _domains, _protected, _trusted, _survey, _mxSecure, new SortedDictionary<DaneState, MxSplit>(_states));
    }
}
