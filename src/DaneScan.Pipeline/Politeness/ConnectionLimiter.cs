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
    /// The shortest "come back later" <see cref="ConnectionLimiter.TryAcquire"/> gives (100 ms): a request sent back
    /// through a queue takes a round trip of about that anyway, and a zero interval must not turn a busy address
    /// into a stream of immediate retries.
    /// </summary>
    public static TimeSpan MinimumRetry { get; } = TimeSpan.FromMilliseconds(100);

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
/// <para>
/// Two ways in, over the same state: <see cref="AcquireAsync"/> waits for the turn (the CLI's local pipeline),
/// <see cref="TryAcquire"/> never waits and says when to come back instead (the fleet's probe stage, which sends
/// the request back to its queue as a scheduled message rather than holding a billed execution while it sleeps).
/// </para>
/// <para>
/// Memory: one small entry per address with a connection open, waiting, booked, or closed within the interval;
/// older entries are pruned as the table grows.
/// </para>
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
                // A timer may fire a little early (it runs on a coarse clock): wait again until the interval has
                // passed by the monotonic clock, so no connection starts before its interval is over.
                for (var wait = lastEnd + _limits.MinIntervalPerAddress - Now(); wait > TimeSpan.Zero; wait = lastEnd + _limits.MinIntervalPerAddress - Now())
                {
                    await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _time, cancellationToken).ConfigureAwait(false);
                }
            }

            await _global.WaitAsync(cancellationToken).ConfigureAwait(false);
            holdsGlobal = true;
            return new ConnectionLease(this, key, state, Now());
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

    /// <summary>
    /// Returns a lease at once when <paramref name="address"/> has a free turn, its interval since the last
    /// connection has passed and a global slot is free; otherwise, without waiting, says how long to wait before
    /// asking again (<see cref="ConnectionAttempt.RetryAfter"/>, never less than <see cref="ConnectionLimits.MinimumRetry"/>):
    /// <list type="bullet">
    /// <item><see cref="DeferralReason.Interval"/>: the address is free but its last connection ended less than the
    /// interval ago: exactly when the interval ends.</item>
    /// <item><see cref="DeferralReason.AddressBusy"/>: the address has its connections open: an estimate, one
    /// <em>step</em> from now, where a step is the interval plus how long the address's last connection lasted
    /// (the interval alone before the first one ended).</item>
    /// <item><see cref="DeferralReason.GlobalCap"/>: every global slot is taken: one interval from now (not booked:
    /// the cap is not the address's).</item>
    /// </list>
    /// Booking: many requests for one address arriving at once (a large provider's thousands of MX host names on
    /// one address) are told successive slots, each a step after the last one told out, so that they come back
    /// spread over the time the address needs for them, each deferred about once, rather than all at the same
    /// moment to be deferred again together. A slot is an estimate (how long the connections before it will
    /// last is not known in advance), so a request that comes back a little early finds the address not yet
    /// ready; with <paramref name="deferredBefore"/> it then is told the earliest time the address could be free,
    /// without a new slot after all the others: it holds a slot already. A lease, when given, is given to whoever
    /// asks first, booked or not: a free turn is never left idle.
    /// </summary>
    /// <param name="address">The destination.</param>
    /// <param name="deferredBefore">True when this request was deferred by this limiter before (it is coming back at its slot).</param>
    public ConnectionAttempt TryAcquire(IPAddress address, bool deferredBefore = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        var key = AddressPolicy.Canonical(address);
        lock (_gate)
        {
            if (!_addresses.TryGetValue(key, out var state))
            {
                state = new AddressState(_limits.ConnectionsPerAddress);
                _addresses.Add(key, state);
            }

            var now = Now();
            var step = _limits.MinIntervalPerAddress + (state.LastDuration ?? TimeSpan.Zero);
            if (!state.Turn.Wait(0))
            {
                return Defer(state, DeferralReason.AddressBusy, now + step, step, book: !deferredBefore, now);
            }

            if (state.LastEnd is { } lastEnd && lastEnd + _limits.MinIntervalPerAddress > now)
            {
                state.Turn.Release();
                return Defer(state, DeferralReason.Interval, lastEnd + _limits.MinIntervalPerAddress, step, book: !deferredBefore, now);
            }

            if (!_global.Wait(0))
            {
                state.Turn.Release();
                return Defer(state, DeferralReason.GlobalCap, now + _limits.MinIntervalPerAddress, step, book: false, now);
            }

            state.Users++;
            return new ConnectionAttempt(new ConnectionLease(this, key, state, now), TimeSpan.Zero, DeferralReason.None);
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

    internal void Release(IPAddress key, AddressState state, bool connected, TimeSpan started)
    {
        if (connected)
        {
            lock (_gate)
            {
                var now = Now();
                state.LastEnd = now;
                state.LastDuration = now - started;
            }
        }

        _global.Release();
        state.Turn.Release();
        Leave(state);
    }

    /// <summary>A deferral until <paramref name="earliest"/>, or (booked) until the slot a step after the address's last booked one if that is later. Called under the gate.</summary>
    private static ConnectionAttempt Defer(AddressState state, DeferralReason reason, TimeSpan earliest, TimeSpan step, bool book, TimeSpan now)
    {
        var at = earliest;
        if (book)
        {
            if (state.NextSlot is { } booked && booked + step > at)
            {
                at = booked + step;
            }

            state.NextSlot = at;
        }

        var wait = at - now;
        return new ConnectionAttempt(null, wait > ConnectionLimits.MinimumRetry ? wait : ConnectionLimits.MinimumRetry, reason);
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
                .Where(kv => kv.Value.Users == 0
                    && (kv.Value.LastEnd is null || now - kv.Value.LastEnd.Value >= _limits.MinIntervalPerAddress)
                    && (kv.Value.NextSlot is null || kv.Value.NextSlot.Value <= now))
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

        /// <summary>How long the last connection to the address lasted (from its lease to its end).</summary>
        public TimeSpan? LastDuration { get; set; }

        /// <summary>The last slot <see cref="TryAcquire"/> told a deferred request for this address (monotonic).</summary>
        public TimeSpan? NextSlot { get; set; }
    }
}

/// <summary>Permission for one connection; dispose it when the connection is closed.</summary>
public sealed class ConnectionLease : IDisposable
{
    private readonly ConnectionLimiter _owner;
    private readonly IPAddress _key;
    private readonly ConnectionLimiter.AddressState _state;
    private readonly TimeSpan _started;
    private int _disposed;

    internal ConnectionLease(ConnectionLimiter owner, IPAddress key, ConnectionLimiter.AddressState state, TimeSpan started)
    {
        _owner = owner;
        _key = key;
        _state = state;
        _started = started;
    }

    public IPAddress Address => _key;

    public void Dispose() => End(connected: true);

    /// <summary>Gives the turn back without having connected: the next connection to the address need not wait the interval for this one.</summary>
    public void ReleaseUnused() => End(connected: false);

    private void End(bool connected)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Release(_key, _state, connected, _started);
        }
    }
}

/// <summary>Why <see cref="ConnectionLimiter.TryAcquire"/> gave no lease.</summary>
public enum DeferralReason
{
    /// <summary>Not deferred: the attempt holds a lease.</summary>
    None,

    /// <summary>The address's last connection ended less than the interval ago.</summary>
    Interval,

    /// <summary>The address has as many connections open as it may.</summary>
    AddressBusy,

    /// <summary>The global cap on open connections is reached.</summary>
    GlobalCap,
}

/// <summary>What <see cref="ConnectionLimiter.TryAcquire"/> answered: a lease to connect with now, or how long to wait before asking again.</summary>
/// <param name="Lease">The lease (dispose it when the connection closes), or null when deferred.</param>
/// <param name="RetryAfter">When deferred, how long from now to ask again; zero with a lease.</param>
/// <param name="Reason">Why it was deferred; <see cref="DeferralReason.None"/> with a lease.</param>
public sealed record ConnectionAttempt(ConnectionLease? Lease, TimeSpan RetryAfter, DeferralReason Reason)
{
    /// <summary>True when there is no lease: come back after <see cref="RetryAfter"/>.</summary>
    public bool Deferred => Lease is null;
}
