namespace DaneScan.Contracts;

/// <summary>
/// Where a run's results go. Writes are idempotent, keyed by (run, domain) and (run, host, address):
/// writing a record again (a redelivered message, a resumed run) leaves one copy. Storage faults surface
/// as exceptions of the adapter's classified error type, after the adapter's own retries.
/// </summary>
public interface IResultStore
{
    /// <summary>Writes (replaces) the run's manifest.</summary>
    Task WriteManifestAsync(RunManifest manifest, CancellationToken cancellationToken = default);

    /// <summary>The run's manifest, or null when the run is unknown.</summary>
    Task<RunManifest?> ReadManifestAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Writes domain records of a run.</summary>
    Task WriteDomainsAsync(string runId, IReadOnlyList<DomainRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Writes probe records of a run.</summary>
    Task WriteProbesAsync(string runId, IReadOnlyList<ProbeRecord> records, CancellationToken cancellationToken = default);

    /// <summary>One domain's record, or null.</summary>
    Task<DomainRecord?> ReadDomainAsync(string runId, string domain, CancellationToken cancellationToken = default);

    /// <summary>One probe's record, or null.</summary>
    Task<ProbeRecord?> ReadProbeAsync(string runId, string host, string address, CancellationToken cancellationToken = default);

    /// <summary>Every domain record of a run, each once, in no particular order.</summary>
    IAsyncEnumerable<DomainRecord> EnumerateDomainsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Every probe record of a run, each once, in no particular order.</summary>
    IAsyncEnumerable<ProbeRecord> EnumerateProbesAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>The names of the domains recorded in a run (what a resumed run skips), without their observations.</summary>
    IAsyncEnumerable<string> EnumerateDomainNamesAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Writes (replaces) the run's pre-aggregated statistics.</summary>
    Task WriteStatisticsAsync(RunStatistics statistics, CancellationToken cancellationToken = default);

    /// <summary>The run's statistics, or null when none were written.</summary>
    Task<RunStatistics?> ReadStatisticsAsync(string runId, CancellationToken cancellationToken = default);
}
