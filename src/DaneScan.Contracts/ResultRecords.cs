using System.Text.Json.Serialization;
using DaneScan.Core;

namespace DaneScan.Contracts;

/// <summary>What the result store keeps for one destination domain of a run: its DNS observation and where it came from.</summary>
public sealed record DomainRecord
{
    public required DomainObservation Observation { get; init; }

    /// <summary>The list the domain came from, if known.</summary>
    public string? Source { get; init; }

    /// <summary>The domain's rank in a ranked list (Tranco), if any.</summary>
    public long? Rank { get; init; }

    /// <summary>The probes ("host|address" keys of <see cref="ProbeRecord"/>s of the same run) the verdict used.</summary>
    public IReadOnlyList<string> ProbeKeys { get; init; } = [];

    /// <summary>
    /// Probes ("host|address") the domain needed but whose results were not in when its deadline passed: the
    /// verdict judged those addresses without a probe (ProbeMissing). Null (and not written) for a domain that got every probe.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PendingProbeKeys { get; init; }

    /// <summary>The verdict when the domain was recorded (recomputable from the observation and its probes).</summary>
    public DomainVerdict? Verdict { get; init; }

    /// <summary>The key: the destination domain.</summary>
    [JsonIgnore]
    public string Domain => Observation.Domain;

    /// <summary>
    /// The verdict every statistic counts: the stored one, or for a record stored without one (its probes were
    /// not all in) the verdict of its DNS observation alone.
    /// </summary>
    public DomainVerdict CountedVerdict() => Verdict ?? DaneJudge.Judge(new DomainScan(Observation, []));
}

/// <summary>What the result store keeps for one (MX host, address) probe of a run, shared by every domain that uses the host.</summary>
public sealed record ProbeRecord
{
    public required ProbeObservation Observation { get; init; }

    /// <summary>The key: the MX host name as published.</summary>
    [JsonIgnore]
    public string Host => Observation.Host;

    /// <summary>The key: the address probed, in canonical text form.</summary>
    [JsonIgnore]
    public string Address => Observation.Address;
}

/// <summary>Where a run is.</summary>
public enum RunState
{
    /// <summary>Started and not finished (or killed: a rerun of the same id resumes it).</summary>
    Running,

    /// <summary>Every enumerated domain was recorded.</summary>
    Completed,

    /// <summary>
    /// Stopped by a fault that rerunning alone does not fix, named in <see cref="RunManifest.Failure"/> (a list
    /// that cannot be read to its end: truncated or corrupt, unreadable, not text, over a bound). Nothing of
    /// that list was scanned; a rerun of the same id with the list fixed resumes the run.
    /// </summary>
    Failed,
}

/// <summary>One list a run read, with its hash and the fate of every line.</summary>
public sealed record ListManifest
{
    public required string Source { get; init; }

    public string? Sha256 { get; init; }

    public DomainListFormat Format { get; init; }

    public bool Gzip { get; init; }

    public long Lines { get; init; }

    public long Accepted { get; init; }

    public long BlankLines { get; init; }

    public long CommentLines { get; init; }

    public long HeaderLines { get; init; }

    /// <summary>Rejected lines by reason.</summary>
    public IReadOnlyDictionary<DomainRejectReason, long> Rejected { get; init; } = new Dictionary<DomainRejectReason, long>();

    /// <summary>The first few rejected lines of each reason (line number and text), when the reader kept them.</summary>
    public IReadOnlyDictionary<DomainRejectReason, IReadOnlyList<RejectedLineSample>>? RejectedSamples { get; init; }

    /// <summary>Bytes of the list as stored (compressed if gzip), when known.</summary>
    public long? Bytes { get; init; }

    /// <summary>Why the list was not read, or not to its end (not text, an unsupported compression, corrupt gzip data); null when it was read whole.</summary>
    public string? Skipped { get; init; }
}

/// <summary>Counts a run keeps in its manifest.</summary>
public sealed record RunCounts
{
    /// <summary>Domains accepted from the lists (after duplicates and opt-outs).</summary>
    public long DomainsEnumerated { get; init; }

    /// <summary>Domains dropped because they are on the opt-out list.</summary>
    public long DomainsOptedOut { get; init; }

    public long DomainsRecorded { get; init; }

    public long ProbesRecorded { get; init; }

    /// <summary>Resolve messages the enumerate stage sent (fleet runs; 0 for local runs, which use no queue).</summary>
    public long ResolveMessages { get; init; }
}

/// <summary>
/// The run manifest: what was scanned, from where, with what trust, by which version, and how far it got.
/// Versioned JSON (<see cref="SchemaVersion"/>).
/// </summary>
public sealed record RunManifest
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string RunId { get; init; }

    public RunState State { get; init; }

    public DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset? EndedUtc { get; init; }

    /// <summary>The schedule occurrence a fleet run belongs to (its run id is derived from it); null for local runs.</summary>
    public DateTimeOffset? ScheduledUtc { get; init; }

    /// <summary>When the fleet's enumerate stage had sent every accepted name to the resolve queue; null until then (and for local runs).</summary>
    public DateTimeOffset? EnumeratedUtc { get; init; }

    public string? ScannerVersion { get; init; }

    public DnsTrustMode? TrustMode { get; init; }

    /// <summary>The DNSSEC trust anchor the resolver validates with (for example the root KSK tag, or the lab's key).</summary>
    public string? TrustAnchor { get; init; }

    public string? Resolver { get; init; }

    /// <summary>Where the scan ran from (a name the user gives, for example "lab" or "azure-westeurope").</summary>
    public string? VantagePoint { get; init; }

    public IReadOnlyList<ListManifest> Lists { get; init; } = [];

    public RunCounts Counts { get; init; } = new();

    /// <summary>
    /// Null for a run that completed with all its work done. Set when the fleet's finaliser completed the run
    /// without it, after no progress for its stall time (a dead-lettered message, say): says what was outstanding,
    /// so that the run's numbers are read as covering only what was recorded.
    /// </summary>
    public string? Incomplete { get; init; }

    /// <summary>Why the run is <see cref="RunState.Failed"/> (one line naming the list and where it breaks); null otherwise.</summary>
    public string? Failure { get; init; }

    /// <summary>Settings that shaped the run (concurrency, EHLO name, lab mode...), as text.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Pre-aggregated counts of a run, for dashboards: keys are "dimension|value" (for example
/// "domains.primary|Protected" or "hosts.outcome|Authenticated"), values are counts.
/// </summary>
public sealed record RunStatistics
{
    public required string RunId { get; init; }

    public DateTimeOffset ComputedUtc { get; init; }

    public IReadOnlyDictionary<string, long> Counts { get; init; } = new Dictionary<string, long>();
}
