namespace DaneScan.Dns;

/// <summary>
/// The host-level lookups of one run, shared: each MX host name's A, AAAA and TLSA lookups are made once
/// (single-flight: domains that name the host at the same time await the one lookup in flight) and the
/// answer is reused by every later domain that names it. Bounded: at most <see cref="Capacity"/> hosts are
/// kept; past that the least recently used finished entry is dropped, and a domain naming a dropped host
/// later looks it up again (its observation then records what that lookup saw).
/// </summary>
/// <remarks>
/// Memory: one <see cref="Core.MxHostObservation"/> per kept host (a few hundred bytes for ordinary hosts).
/// A lookup that is cancelled or throws is not kept, nor one that timed out or met a network error (no
/// answer, not an answer): the domains already waiting share it, a later domain tries again. Every other
/// outcome (answers, denials, bogus, SERVFAIL) is the host's answer for the run.
/// </remarks>
public sealed class HostLookupCache
{
    /// <summary>The default bound: enough for the distinct MX hosts of a large survey slice at about 1 KB each.</summary>
    public const int DefaultCapacity = 100_000;

    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly object _gate = new();
    private long _hits;
    private long _misses;
    private long _evictions;

    public HostLookupCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most hosts kept at once.</summary>
    public int Capacity { get; }

    /// <summary>Times a domain used a host lookup that was already made or in flight.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Host lookups started (one per distinct host, plus one per re-lookup after an eviction).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Finished entries dropped to stay within <see cref="Capacity"/>.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Hosts kept now (finished or in flight).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The host's lookups: the task already kept (finished or in flight) or a new one from
    /// <paramref name="lookup"/>, started outside the lock.
    /// </summary>
    public Task<Core.MxHostObservation> GetOrAdd(string host, Func<string, Task<Core.MxHostObservation>> lookup)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(lookup);
        TaskCompletionSource<Core.MxHostObservation> mine;
        lock (_gate)
        {
            if (_entries.TryGetValue(host, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits++;
                return node.Value.Task;
            }

            mine = new TaskCompletionSource<Core.MxHostObservation>(TaskCreationOptions.RunContinuationsAsynchronously);
            var added = _recency.AddFirst(new Entry(host, mine.Task));
            _entries.Add(host, added);
            _misses++;
            TrimLocked();
        }

        _ = CompleteAsync(host, mine, lookup);
        return mine.Task;
    }

    private async Task CompleteAsync(string host, TaskCompletionSource<Core.MxHostObservation> completion, Func<string, Task<Core.MxHostObservation>> lookup)
    {
        try
        {
            var observation = await lookup(host).ConfigureAwait(false);
            if (Transient(observation))
            {
                // A timeout or network error is no answer: the domains waiting now share it, the next one asks again.
                Forget(host, completion.Task);
            }

            completion.TrySetResult(observation);
        }
        catch (OperationCanceledException e)
        {
            Forget(host, completion.Task);
            completion.TrySetCanceled(e.CancellationToken);
        }
#pragma warning disable CA1031 // The lookup's fault goes to every waiter; the cache only forgets it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Forget(host, completion.Task);
            completion.TrySetException(e);
        }
    }

    /// <summary>Whether a host's lookups failed for want of an answer (timeout, network error) rather than with one.</summary>
    public static bool Transient(Core.MxHostObservation host)
    {
        ArgumentNullException.ThrowIfNull(host);
        static bool Failed<T>(Core.RrsetObservation<T> r) => r.Failure is Core.LookupFailureKind.Timeout or Core.LookupFailureKind.NetworkError;
        return Failed(host.A) || Failed(host.Aaaa) || host.TlsaLookups.Any(Failed);
    }

    private void Forget(string host, Task<Core.MxHostObservation> task)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(host, out var node) && ReferenceEquals(node.Value.Task, task))
            {
                _entries.Remove(host);
                _recency.Remove(node);
            }
        }
    }

    private void TrimLocked()
    {
        // Drop finished entries from the old end; an entry in flight stays (its waiters hold it anyway).
        var node = _recency.Last;
        while (_entries.Count > Capacity && node is not null)
        {
            var previous = node.Previous;
            if (node.Value.Task.IsCompleted)
            {
                _recency.Remove(node);
                _entries.Remove(node.Value.Host);
                _evictions++;
            }

            node = previous;
        }
    }

    private sealed record Entry(string Host, Task<Core.MxHostObservation> Task);
}
