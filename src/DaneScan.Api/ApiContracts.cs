using DaneScan.Core;
using DaneScan.Statistics;

namespace DaneScan.Api;

// The statistics API's JSON shapes (camelCase, enums as strings). Stable: add members, never rename.

/// <summary>A page of items and the opaque token for the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? ContinuationToken);

/// <summary>Paging asked for by a client: <c>?top=</c> (1..1000, default 100) and <c>?continuation=</c>.</summary>
public sealed record PageRequest(int Top, string? ContinuationToken)
{
    public const int DefaultTop = 100;
    public const int MaxTop = 1000;
}

public enum RunState
{
    Enumerating,
    Scanning,
    Completed,
}

public sealed record RunListItem(string RunId, DateTimeOffset StartedUtc, DateTimeOffset? EndedUtc, RunState State, long Domains);

/// <summary>
/// A run: what it is, and its headline numbers as the statistics module defines them (docs/dataset.md,
/// "Definitions"). <paramref name="DomainsByState"/> is over all MX hosts (the headline view), with
/// <c>verified</c> (MX RRset secure) and <c>trusted</c> (MX RRset insecure) apart.
/// </summary>
public sealed record RunSummary(
    string RunId,
    DateTimeOffset StartedUtc,
    DateTimeOffset? EndedUtc,
    RunState State,
    string ScannerVersion,
    DnsTrustMode TrustMode,
    string VantagePoint,
    IReadOnlyList<string> Lists,
    long DomainsEnumerated,
    long DomainsRejected,
    string DefinitionsVersion,
    HeadlineCounts Headline,
    IReadOnlyDictionary<DaneState, long> DomainsByState,
    IReadOnlyDictionary<DaneState, long> DomainsByStatePrimary,
    IReadOnlyDictionary<MxSecurity, long> DomainsByMxSecurity,
    long HostsProbed,
    long MxHosts,
    IReadOnlyDictionary<HostOutcome, long> HostsByOutcome,
    string? Incomplete = null);

/// <summary>
/// One row of a breakdown: the key (a TLD, an MX provider, a TLSA "usage selector mtype", a cause...), its domains,
/// of them DANE-protected (Verified), Trusted, survey-protected and with a secure MX RRset, and its domains by state (all MX hosts).
/// </summary>
public sealed record CountRow(string Key, long Domains, long DaneProtected, long Trusted, long SurveyProtected, long MxSecure, IReadOnlyDictionary<DaneState, long> ByState);

public sealed record FindingCount(string Code, long Domains, long Hosts);

public sealed record TimeSeriesPoint(string RunId, DateTimeOffset StartedUtc, double Value);

public sealed record TimeSeries(string Metric, IReadOnlyList<TimeSeriesPoint> Points);

/// <summary>
/// One domain's stored record in a run: what its verdict was computed from, the verdict, and the explanation
/// <c>danescan check</c> prints for that observation (<see cref="CheckReport"/>). <c>Status</c> is the hosts-only
/// status over all MX hosts; <c>State</c> folds in MX security (Verified or Trusted) as every published count does.
/// </summary>
public sealed record DomainRecord(string RunId, string Domain, DomainDaneStatus Status, DaneState State, MxSecurity MxSecurity, bool SurveyProtected, DomainScan Scan, string Explanation);

/// <summary>
/// Two runs compared domain by domain (states over all MX hosts, docs/dataset.md "Run comparison"): how many
/// domains each has, how many kept their state, and the domains that changed, counted by transition
/// ("NotDane→Verified"; "Absent" for a domain in one run only). With <c>?transition=</c>, one page of those domains.
/// </summary>
public sealed record RunComparisonAnswer(
    string RunA,
    string RunB,
    long DomainsA,
    long DomainsB,
    long Unchanged,
    IReadOnlyList<TransitionCount> Transitions,
    TransitionDomains? Domains);

/// <summary>A page of the domains with one transition (ordinal order) and the token of the next page.</summary>
public sealed record TransitionDomains(string Transition, long Domains, IReadOnlyList<string> Items, string? ContinuationToken);

/// <summary>Error body of every non-2xx answer (RFC 9457 members).</summary>
public sealed record Problem(string Title, int Status, string? Detail);

/// <summary>
/// A per-run answer and where it came from. A completed run's numbers never change; they come from its
/// pre-aggregated statistics (a few reads) when the finaliser stored them, else (runs completed by
/// <c>danescan scan</c> into a table store) are computed from its records. A running run's are computed from
/// its records on each request. Either way the numbers are the same computation (DaneScan.Fleet.RunAggregates).
/// </summary>
public sealed record RunAnswer<T>(T Value, bool Completed, bool PreAggregated);

/// <summary>The statistics queries the API serves; implemented over a result store by <see cref="StatisticsQueries"/>.</summary>
public interface IStatisticsQueries
{
    Task<Page<RunListItem>> ListRunsAsync(PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Null when the run is unknown.</summary>
    Task<RunAnswer<RunSummary>?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Null when the run is unknown.</summary>
    Task<RunAnswer<Page<CountRow>>?> GetCountsAsync(string runId, BreakdownDimension dimension, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Null when the run is unknown.</summary>
    Task<RunAnswer<Page<FindingCount>>?> ListFindingsAsync(string runId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>The metric's value per completed run between the bounds; null when the metric is unknown.</summary>
    Task<TimeSeries?> GetTimeSeriesAsync(string metric, DateTimeOffset? fromUtc, DateTimeOffset? toUtc, CancellationToken cancellationToken = default);

    /// <summary>Null when either run is unknown. <paramref name="transition"/> is a canonical key (<see cref="RunComparison.ParseTransition"/>) or null.</summary>
    Task<RunAnswer<RunComparisonAnswer>?> CompareRunsAsync(string runA, string runB, string? transition, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Null when the run or the domain is unknown. Read from the run's records (never pre-aggregated); a running run's record may still change (its verdict waits for its probes).</summary>
    Task<RunAnswer<DomainRecord>?> GetDomainAsync(string runId, string domain, CancellationToken cancellationToken = default);
}
