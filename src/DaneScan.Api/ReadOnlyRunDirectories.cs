using System.Runtime.CompilerServices;
using DaneScan.Contracts;
using DaneScan.Storage;

namespace DaneScan.Api;

using StoredDomain = DaneScan.Contracts.DomainRecord;

/// <summary>
/// The run directories under a root (what <c>danescan scan --out</c> writes), opened for reading only: it
/// never takes a run's writer lock and never writes, so <c>danescan serve</c> can answer about a run that a
/// scan is still writing. A domain or probe is looked up by reading the run's JSONL file through (the files
/// are append-only and carry no index); the counts come from one pass over the records
/// (<see cref="StatisticsQueries"/> keeps a completed run's).
/// </summary>
public sealed class ReadOnlyRunDirectories : IResultStore
{
    private readonly RunDirectoryStore _store;

    public ReadOnlyRunDirectories(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _store = new RunDirectoryStore(root);
    }

    public string Root => _store.Root;

    /// <summary>The manifests of the runs under the root: every directory holding a readable manifest.json.</summary>
    public async IAsyncEnumerable<RunManifest> EnumerateManifestsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var dir in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            if (await ReadManifestAsync(Path.GetFileName(dir), cancellationToken).ConfigureAwait(false) is { } manifest)
            {
                yield return manifest;
            }
        }
    }

    /// <summary>Null for an unknown run, including a run id that cannot name a run directory.</summary>
    public Task<RunManifest?> ReadManifestAsync(string runId, CancellationToken cancellationToken = default) =>
        IsDirectoryName(runId) ? _store.ReadManifestAsync(runId, cancellationToken) : Task.FromResult<RunManifest?>(null);

    public async Task<StoredDomain?> ReadDomainAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        if (!IsDirectoryName(runId))
        {
            return null;
        }

        await foreach (var record in _store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(record.Domain, domain, StringComparison.OrdinalIgnoreCase))
            {
                return record;
            }
        }

        return null;
    }

    public async Task<ProbeRecord?> ReadProbeAsync(string runId, string host, string address, CancellationToken cancellationToken = default)
    {
        if (!IsDirectoryName(runId))
        {
            return null;
        }

        await foreach (var record in _store.EnumerateProbesAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(record.Host, host, StringComparison.OrdinalIgnoreCase) && string.Equals(record.Address, address, StringComparison.Ordinal))
            {
                return record;
            }
        }

        return null;
    }

    public IAsyncEnumerable<StoredDomain> EnumerateDomainsAsync(string runId, CancellationToken cancellationToken = default) =>
        _store.EnumerateDomainsAsync(runId, cancellationToken);

    public IAsyncEnumerable<ProbeRecord> EnumerateProbesAsync(string runId, CancellationToken cancellationToken = default) =>
        _store.EnumerateProbesAsync(runId, cancellationToken);

    public IAsyncEnumerable<string> EnumerateDomainNamesAsync(string runId, CancellationToken cancellationToken = default) =>
        _store.EnumerateDomainNamesAsync(runId, cancellationToken);

    public Task<RunStatistics?> ReadStatisticsAsync(string runId, CancellationToken cancellationToken = default) =>
        _store.ReadStatisticsAsync(runId, cancellationToken);

    public Task WriteManifestAsync(RunManifest manifest, CancellationToken cancellationToken = default) => throw ReadOnly();

    public Task WriteDomainsAsync(string runId, IReadOnlyList<StoredDomain> records, CancellationToken cancellationToken = default) => throw ReadOnly();

    public Task WriteProbesAsync(string runId, IReadOnlyList<ProbeRecord> records, CancellationToken cancellationToken = default) => throw ReadOnly();

    public Task WriteStatisticsAsync(RunStatistics statistics, CancellationToken cancellationToken = default) => throw ReadOnly();

    private static InvalidOperationException ReadOnly() => new("the run directories are opened read-only");

    private static bool IsDirectoryName(string runId) => RunIds.IsValid(runId);
}
