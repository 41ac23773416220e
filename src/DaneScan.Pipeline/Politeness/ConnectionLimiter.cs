using System.Net;

namespace DaneScan.Pipeline.Politeness;

/// <summary>Limits for <see cref="ConnectionLimiter"/>.</summary>
public sealed record ConnectionLimits
{
    /// <summary>How many connections may be open at once, over all destinations.</summary>
    public int MaxConcurrentConnections { get; init; } = 64;

    /// <summary>
    /// The least time between the end of one connection to an address and the start of the next one
    /// to the same address.
    /// </summary>
    public TimeSpan MinIntervalPerAddress { get; init; } = DefaultInterval;

    /// <summary>How many connections may be open at once to one address (default 1).</summary>
    public int ConnectionsPerAddress { get; init; } = 1;

    /// <summary>The default of <see cref="MinIntervalPerAddress"/>: 1 s.</summary>
    public static TimeSpan DefaultInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The shortest a run can be under these limits when one address needs <paramref name="probes"/>
    /// connections: the probes, <see cref="ConnectionsPerAddress"/> at a time, each turn after the first
    /// <see cref="MinIntervalPerAddress"/> after the last (the connections' own time not counted).
    /// </summary>
    public TimeSpan PoliteLowerBound(long probes) =>
        probes <= 0 ? TimeSpan.Zero : MinIntervalPerAddress * ((probes + ConnectionsPerAddress - 1) / ConnectionsPerAddress - 1);
}

/// <summary>
/// Politeness towards destination servers: at most <see cref="ConnectionLimits.ConnectionsPerAddress"/> (default one) connection at a time to each address, a
/// minimum interval between connections to the same address, and a global cap on open connections.
/// Waiters for one address queue on a SemaphoreSlim, which serves async waiters in arrival order. A waiter holds no global slot while it waits
/// for its address, so a busy address does not starve the others.
/// </summary>
/// <remarks>
/// Memory: one small entry per address with a connection open, waiting, or closed within the interval;
/// older entries are pruned as the table grows.
/// </remarks>
public sealed class ConnectionLimiter : IDisposable
{
    private readonly ConnectionLimits _limits;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _global;
    private readonly Dictionary<IPAddress, AddressState> _addresses = [];
    private readonly object _gate = new();
    private int _pruneAt = 1024;

    public ConnectionLimiter(ConnectionLimits? limits = null, TimeProvider? timeProvider = null)
    {
        _limits = limits ?? new ConnectionLimits();
        ArgumentOutOfRangeException.ThrowIfLessThan(_limits.MaxConcurrentConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_limits.MinIntervalPerAddress, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(_limits.ConnectionsPerAddress, 1);
        _time = timeProvider ?? TimeProvider.System;
        _global = new SemaphoreSlim(_limits.MaxConcurrentConnections, _limits.MaxConcurrentConnections);
    }

    /// <summary>The limits in force.</summary>
    public ConnectionLimits Limits => _limits;

    /// <summary>Connections open now (leases not yet disposed).</summary>
    public int OpenConnections => _limits.MaxConcurrentConnections - _global.CurrentCount;

    /// <summary>Addresses the limiter tracks now.</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_gate)
            {
                return _addresses.Count;
            }
        }
    }

    /// <summary>
    /// Waits until a connection to <paramref name="address"/> is allowed, and returns the lease to
    /// dispose when the connection is closed. Cancellation while waiting leaves no trace.
    /// </summary>
    public async Task<ConnectionLease> AcquireAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var key = AddressPolicy.Canonical(address);
        AddressState state;
        lock (_gate)
        {
            if (!_addresses.TryGetValue(key, out state!))
            {
                state = new AddressState(_limits.ConnectionsPerAddress);
                _addresses.Add(key, state);
            }

            state.Users++;
        }

        var holdsAddress = false;
        var holdsGlobal = false;
        try
        {
            await state.Turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            holdsAddress = true;
            if (state.LastEnd is { } lastEnd)
            {
                var wait = lastEnd + _limits.MinIntervalPerAddress - Now();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }
            }

            await _global.WaitAsync(cancellationToken).ConfigureAwait(false);
            holdsGlobal = true;
            return new ConnectionLease(this, key, state);
        }
        finally
        {
            if (!holdsGlobal)
            {
                if (holdsAddress)
                {
                    state.Turn.Release();
                }

                Leave(state);
            }
        }
    }

    public void Dispose()
    {
        _global.Dispose();
        lock (_gate)
        {
            foreach (var state in _addresses.Values)
            {
                state.Turn.Dispose();
            }

            _addresses.Clear();
        }
    }

    internal void Release(IPAddress key, AddressState state, bool connected)
    {
        if (connected)
        {
            state.LastEnd = Now();
        }

        _global.Release();
        state.Turn.Release();
        Leave(state);
    }

    /// <summary>Monotonic time from the time provider.</summary>
    private TimeSpan Now() => TimeSpan.FromSeconds((double)_time.GetTimestamp() / _time.TimestampFrequency);

    private void Leave(AddressState state)
    {
        lock (_gate)
        {
            state.Users--;
            if (_addresses.Count < _pruneAt)
            {
                return;
            }

            var now = Now();
            var stale = _addresses
                .Where(kv => kv.Value.Users == 0 && (kv.Value.LastEnd is null || now - kv.Value.LastEnd.Value >= _limits.MinIntervalPerAddress))
                .Select(kv => kv.Key)
                .ToList();
            foreach (var k in stale)
            {
                _addresses.Remove(k, out var removed);
                removed?.Turn.Dispose();
            }

            _pruneAt = Math.Max(1024, _addresses.Count * 2);
        }
    }

    internal sealed class AddressState(int connections)
    {
        public SemaphoreSlim Turn { get; } = new(connections, connections);

        public int Users { get; set; }

        public TimeSpan? LastEnd { get; set; }
    }
}

/// <summary>Permission for one connection; dispose it when the connection is closed.</summary>
public sealed class ConnectionLease : IDisposable
{
    private readonly ConnectionLimiter _owner;
    private readonly IPAddress _key;
    private readonly ConnectionLimiter.AddressState _state;
    private int _disposed;

    internal ConnectionLease(ConnectionLimiter owner, IPAddress key, ConnectionLimiter.AddressState state)
    {
        _owner = owner;
        _key = key;
        _state = state;
    }

    public IPAddress Address => _key;

    public void Dispose() => End(connected: true);

    /// <summary>Gives the turn back without having connected: the next connection to the address need not wait the interval for this one.</summary>
    public void ReleaseUnused() => End(connected: false);

    private void End(bool connected)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Release(_key, _state, connected);
        }
    }
}
