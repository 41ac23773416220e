using DaneScan.Core;

namespace DaneScan.Statistics;

// The statistics' JSON shapes (camelCase, enums as names in the API and in stored documents). Stable within a
// schema version: members are only ever added. Every count says in its name what it counts (domains, MX
// hosts, (host, address) pairs); docs/dataset.md gives the formulas.

/// <summary>A domain count split by <see cref="MxSecurity"/>.</summary>
public sealed record MxSplit(long Secure, long Insecure, long Indeterminate)
{
    public static readonly MxSplit Zero = new(0, 0, 0);

    public long Total => Secure + Insecure + Indeterminate;

    public MxSplit Add(MxSecurity security, long n = 1) => security switch
    {
        MxSecurity.Secure => this with { Secure = Secure + n },
        MxSecurity.Insecure => this with { Insecure = Insecure + n },
        _ => this with { Indeterminate = Indeterminate + n },
    };
}

/// <summary>The headline numbers of a run, weighted by domains.</summary>
/// <param name="Domains">Domains counted.</param>
/// <param name="DaneProtected">The headline: <see cref="DaneState.Verified"/> over all MX hosts (MX RRset secure, every judged host authenticated).</param>
/// <param name="Trusted"><see cref="DaneState.Trusted"/> over all MX hosts (every judged host authenticated, MX RRset insecure): never in the headline.</param>
/// <param name="VerifiedPrimary"><see cref="DaneState.Verified"/> over the primary MX hosts.</param>
/// <param name="TrustedPrimary"><see cref="DaneState.Trusted"/> over the primary MX hosts.</param>
/// <param name="SurveySigned">The survey-comparable denominator: domains whose MX RRset (or its denial) is DNSSEC-signed, with hosts to judge.</param>
/// <param name="SurveyProtected">The survey-comparable count (stats.dnssec-tools.org definition).</param>
public sealed record HeadlineCounts(long Domains, long DaneProtected, long Trusted, long VerifiedPrimary, long TrustedPrimary, long SurveySigned, long SurveyProtected);

/// <summary>Distinct MX host names (each counted once, by the first verdict that judged it), and (domain, MX host) pairs.</summary>
/// <param name="Total">Distinct MX host names.</param>
/// <param name="ByOutcome">Distinct MX host names per outcome.</param>
/// <param name="DomainPairsByOutcome">(domain, MX host) pairs per outcome: a host's outcome weighted by the domains it serves.</param>
/// <param name="TlsaParameters">Distinct MX hosts with a secure TLSA RRset, per "usage selector matching-type" published.</param>
/// <param name="DaneUsage">Distinct MX hosts with a secure TLSA RRset, by usages published: "dane-ee", "dane-ta", "dane-ee+dane-ta", "other" (only PKIX or unknown usages).</param>
/// <param name="FailureResultTypes">Distinct MX hosts per RFC 8460 result type of their failure.</param>
public sealed record MxHostCounts(
    long Total,
    IReadOnlyDictionary<HostOutcome, long> ByOutcome,
    IReadOnlyDictionary<HostOutcome, long> DomainPairsByOutcome,
    IReadOnlyDictionary<string, long> TlsaParameters,
    IReadOnlyDictionary<string, long> DaneUsage,
    IReadOnlyDictionary<Rfc8460ResultType, long> FailureResultTypes);

/// <summary>Distinct (MX host, address) pairs of the judged hosts (each once, by the first verdict that judged it).</summary>
/// <param name="Total">Distinct (MX host, address) pairs.</param>
/// <param name="DistinctAddresses">Distinct IP addresses among them.</param>
/// <param name="ByOutcome">(MX host, address) pairs per address outcome.</param>
public sealed record AddressCounts(long Total, long DistinctAddresses, IReadOnlyDictionary<HostOutcome, long> ByOutcome);

/// <summary>The breakdowns of a run's domains.</summary>
public enum BreakdownDimension
{
    /// <summary>The domain's last label.</summary>
    Tld,

    /// <summary>The registrable domain (public suffix list, ICANN section) of each primary MX host; "(no mx)" without one.</summary>
    MxProvider,

    /// <summary>Each "usage selector matching-type" in a secure TLSA RRset of the domain's MX hosts; "(no tlsa)" without any.</summary>
    TlsaParameters,

    /// <summary>The domain's public suffix (public suffix list, both sections).</summary>
    PublicSuffix,

    /// <summary>The domain's registrable domain (public suffix list, both sections); the name itself when it is a public suffix.</summary>
    RegistrableDomain,

    /// <summary>The DANE usages in the secure TLSA RRsets of the domain's MX hosts: "dane-ee", "dane-ta", "dane-ee+dane-ta", "other", "(no tlsa)".</summary>
    DaneUsage,

    /// <summary>Each RFC 8460 result type of a failing MX host of the domain; "(none)" without one.</summary>
    FailureResultType,

    /// <summary>Each reason (<see cref="HostReason"/>) of an MX host of the domain with DANE that does not authenticate; "(none)" without one.</summary>
    FailureReason,

    /// <summary>Each best-practice finding of the domain; "(none)" without one.</summary>
    Finding,

    /// <summary>The list rank buckets (cumulative) of the domain: "top-1k", "top-10k", "top-100k", "top-1m", "beyond-1m", "unranked".</summary>
    RankBucket,
}

/// <summary>
/// One row of a breakdown. A domain is counted once in every row whose key it has; where a domain can have
/// several keys (MX provider, TLSA parameters, failure causes, findings, rank buckets) rows overlap and do
/// not sum to the run's domains.
/// </summary>
/// <param name="Key">The key (a TLD, a provider, a "3 1 1", a cause...).</param>
/// <param name="Domains">Domains with the key.</param>
/// <param name="DaneProtected">Of them, Verified over all MX hosts (the headline).</param>
/// <param name="Trusted">Of them, Trusted over all MX hosts.</param>
/// <param name="SurveyProtected">Of them, survey-protected.</param>
/// <param name="MxSecure">Of them, with a secure MX RRset.</param>
/// <param name="States">Of them, by all-MX state, each split by MX security.</param>
public sealed record BreakdownRow(string Key, long Domains, long DaneProtected, long Trusted, long SurveyProtected, long MxSecure, IReadOnlyDictionary<DaneState, MxSplit> States);

/// <summary>A best-practice finding: how many domains it concerns (and of them Verified), and how many distinct MX hosts it names.</summary>
public sealed record FindingTotal(string Code, long Domains, long Hosts);

/// <summary>A key and its count (an MX host and the domains it serves, say).</summary>
public sealed record KeyCount(string Key, long Count);

/// <summary>
/// A run's totals: every domain-, host- and address-level count (small: no breakdown rows). The JSON shape
/// of the pre-aggregated "summary" document and of <c>RunStatisticsReport.Totals</c>.
/// </summary>
public sealed record RunTotals
{
    /// <summary>2: the Verified/Trusted split, the survey count, host and address weights (1 had hosts-only statuses).</summary>
    public const int CurrentSchemaVersion = 2;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public string DefinitionsVersion { get; init; } = StatisticsDefinitions.Version;

    public required string RunId { get; init; }

    public DateTimeOffset ComputedUtc { get; init; }

    /// <summary>Domains counted (each once).</summary>
    public long Domains { get; init; }

    /// <summary>Stored (MX host, address) probes.</summary>
    public long Probes { get; init; }

    /// <summary>Rejected list lines (all reasons).</summary>
    public long DomainsRejected { get; init; }

    /// <summary>Domains skipped because they are on the opt-out list.</summary>
    public long DomainsOptedOut { get; init; }

    /// <summary>Domains counted without a stored verdict (judged on DNS alone); 0 for a complete run.</summary>
    public long Recomputed { get; init; }

    /// <summary>Domains stored more than once and counted once (must be 0).</summary>
    public long Duplicates { get; init; }

    public required HeadlineCounts Headline { get; init; }

    /// <summary>Domains by MX security.</summary>
    public IReadOnlyDictionary<MxSecurity, long> MxSecurity { get; init; } = new Dictionary<MxSecurity, long>();

    /// <summary>Domains by MX status.</summary>
    public IReadOnlyDictionary<MxStatus, long> MxStatus { get; init; } = new Dictionary<MxStatus, long>();

    /// <summary>Domains by state over the primary MX hosts, each split by MX security.</summary>
    public IReadOnlyDictionary<DaneState, MxSplit> Primary { get; init; } = new Dictionary<DaneState, MxSplit>();

    /// <summary>Domains by state over all MX hosts (the headline view), each split by MX security.</summary>
    public IReadOnlyDictionary<DaneState, MxSplit> All { get; init; } = new Dictionary<DaneState, MxSplit>();

    public required MxHostCounts MxHosts { get; init; }

    public required AddressCounts Addresses { get; init; }

    /// <summary>Stored probes by probe outcome.</summary>
    public IReadOnlyDictionary<ProbeOutcome, long> ProbesByOutcome { get; init; } = new Dictionary<ProbeOutcome, long>();

    /// <summary>Rejected list lines by reason.</summary>
    public IReadOnlyDictionary<string, long> Rejected { get; init; } = new Dictionary<string, long>();

    /// <summary>The MX hosts serving the most domains (at most <see cref="RunStatisticsBuilder.TopMxHostCount"/>), most first.</summary>
    public IReadOnlyList<KeyCount> TopMxHosts { get; init; } = [];

    /// <summary>Rows per breakdown.</summary>
    public IReadOnlyDictionary<BreakdownDimension, long> BreakdownRows { get; init; } = new Dictionary<BreakdownDimension, long>();

    /// <summary>Finding rows.</summary>
    public long FindingRows { get; init; }

    /// <summary>Rows per stored page document (the fleet's pre-aggregated pages).</summary>
    public int PageRows { get; init; }

    /// <summary>The domains in a state of a view (all MX security values together).</summary>
    public long Count(HostView view, DaneState state) => (view == HostView.Primary ? Primary : All).GetValueOrDefault(state)?.Total ?? 0;
}

/// <summary>Everything computed about one run: totals, breakdown rows (ordered by domains descending, then key ordinal) and findings.</summary>
public sealed record RunStatisticsReport(RunTotals Totals, IReadOnlyDictionary<BreakdownDimension, IReadOnlyList<BreakdownRow>> Breakdowns, IReadOnlyList<FindingTotal> Findings);
