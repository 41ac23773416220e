using DaneScan.Contracts;
using DaneScan.Storage;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// The real Table store with a storage outage injected on demand: the chosen write fails once with the
/// <see cref="StorageException"/> the Table store throws when the service is unavailable, then writes go through.
/// </summary>
internal sealed class FaultyStore(IResultStore inner) : IResultStore
{
    private int _domainWritesBeforeFault = -1;
    private int _probeWritesBeforeFault = -1;

    public int Faults { get; private set; }

    /// <summary>The domain write after the next <paramref name="writes"/> fails, once.</summary>
    public void FailDomainWriteAfter(int writes) => _domainWritesBeforeFault = writes;

    /// <summary>The probe write after the next <paramref name="writes"/> fails, once.</summary>
    public void FailProbeWriteAfter(int writes) => _probeWritesBeforeFault = writes;

    public Task WriteDomainsAsync(string runId, IReadOnlyList<DomainRecord> records, CancellationToken cancellationToken = default)
    {
        Trip(ref _domainWritesBeforeFault, "domains");
        return inner.WriteDomainsAsync(runId, records, cancellationToken);
    }

    public Task WriteProbesAsync(string runId, IReadOnlyList<ProbeRecord> records, CancellationToken cancellationToken = default)
    {
        Trip(ref _probeWritesBeforeFault, "probes");
        return inner.WriteProbesAsync(runId, records, cancellationToken);
    }

    private void Trip(ref int countdown, string what)
    {
        if (countdown < 0)
        {
            return;
        }

        if (countdown-- == 0)
        {
            Faults++;
            throw new StorageException(StorageFaultKind.Throttled, $"write of {what}: injected outage (HTTP 503 ServerBusy through the retries)");
        }
    }

    public Task WriteManifestAsync(RunManifest manifest, CancellationToken cancellationToken = default) => inner.WriteManifestAsync(manifest, cancellationToken);

    public Task<RunManifest?> ReadManifestAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadManifestAsync(runId, cancellationToken);

    public Task<DomainRecord?> ReadDomainAsync(string runId, string domain, CancellationToken cancellationToken = default) => inner.ReadDomainAsync(runId, domain, cancellationToken);

    public Task<ProbeRecord?> ReadProbeAsync(string runId, string host, string address, CancellationToken cancellationToken = default) => inner.ReadProbeAsync(runId, host, address, cancellationToken);

    public IAsyncEnumerable<DomainRecord> EnumerateDomainsAsync(string runId, CancellationToken cancellationToken = default) => inner.EnumerateDomainsAsync(runId, cancellationToken);

    public IAsyncEnumerable<ProbeRecord> EnumerateProbesAsync(string runId, CancellationToken cancellationToken = default) => inner.EnumerateProbesAsync(runId, cancellationToken);

    public IAsyncEnumerable<string> EnumerateDomainNamesAsync(string runId, CancellationToken cancellationToken = default) => inner.EnumerateDomainNamesAsync(runId, cancellationToken);

    public Task WriteStatisticsAsync(RunStatistics statistics, CancellationToken cancellationToken = default) => inner.WriteStatisticsAsync(statistics, cancellationToken);

    public Task<RunStatistics?> ReadStatisticsAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadStatisticsAsync(runId, cancellationToken);
}
