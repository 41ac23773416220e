using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>
/// Host lookups shared within a run by a long-lived stage instance (a Functions instance or a worker handling
/// batches of many runs): each run gets its own <see cref="DomainResolver.ForRun"/> resolver, so every MX host is
/// looked up once per run and instance and the answer reused by every domain of every batch of the run that the
/// instance handles, as <c>danescan scan</c> does for the whole run. Bounded: at most <see cref="MaxRuns"/> runs
/// are kept (the least recently used is dropped) and each run's cache holds at most its capacity of hosts.
/// </summary>
public sealed class RunHostCaches(DomainResolver resolver, int hostCacheCapacity = RunHostCaches.DefaultHostCapacity, int maxRuns = RunHostCaches.DefaultMaxRuns)
{
    /// <summary>Hosts kept per run and instance by default (a stage instance sees a slice of a run).</summary>
    public const int DefaultHostCapacity = 20_000;

    /// <summary>Runs kept at once by default.</summary>
    public const int DefaultMaxRuns = 4;

    private readonly DomainResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
    private readonly int _capacity = hostCacheCapacity >= 1 ? hostCacheCapacity : throw new ArgumentOutOfRangeException(nameof(hostCacheCapacity), hostCacheCapacity, "at least 1");
    private readonly LinkedList<(string RunId, DomainResolver Resolver)> _runs = new();
    private readonly object _gate = new();

    /// <summary>The most runs kept at once.</summary>
    public int MaxRuns { get; } = maxRuns >= 1 ? maxRuns : throw new ArgumentOutOfRangeException(nameof(maxRuns), maxRuns, "at least 1");

    /// <summary>The resolver of <paramref name="runId"/>, with the run's shared host lookups.</summary>
    public DomainResolver For(string runId)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        lock (_gate)
        {
            for (var node = _runs.First; node is not null; node = node.Next)
            {
                if (string.Equals(node.Value.RunId, runId, StringComparison.Ordinal))
                {
                    _runs.Remove(node);
                    _runs.AddFirst(node);
                    return node.Value.Resolver;
                }
            }

            var created = _resolver.ForRun(_capacity);
            _runs.AddFirst((runId, created));
            while (_runs.Count > MaxRuns)
            {
                _runs.RemoveLast();
            }

            return created;
        }
    }

    /// <summary>Resolves <paramref name="domain"/> for <paramref name="runId"/> with the run's shared host lookups.</summary>
    public Task<DomainObservation> ResolveAsync(string runId, string domain, CancellationToken cancellationToken = default) =>
        For(runId).ResolveAsync(domain, cancellationToken);
}
