namespace DaneScan.Pipeline.Stages;

/// <summary>
/// How many domains are resolved at once, adapted to what the resolver keeps up with (as TCP adapts its
/// window): it starts at <see cref="Initial"/> and grows by one for every domain resolved without a timeout
/// (slow start: doubling per round trip) up to <see cref="Maximum"/>; a domain whose lookup timed out halves
/// it, at most once per <see cref="CutInterval"/> (a burst of timeouts is one signal), never below
/// <see cref="Minimum"/>; after the first cut it grows by one per limit's worth of clean domains (about one
/// per round trip: additive increase, multiplicative decrease).
/// A cold validating resolver asked a thousand new names at once stalls on its own first lookups (root, TLD
/// and zone keys) and times out hundreds of them; a run that ramps up does not.
/// </summary>
public sealed class AdaptiveLimit : IDisposable
{
    private readonly SemaphoreSlim _permits;
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private int _limit;
    private int _debt;
    private long _lastCut = long.MinValue;
    private int _credit;

    public AdaptiveLimit(int maximum, int initial = 64, int minimum = 16, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, 1);
        Maximum = maximum;
        Minimum = Math.Clamp(minimum, 1, maximum);
        Initial = Math.Clamp(initial, Minimum, maximum);
        _limit = Initial;
        _permits = new SemaphoreSlim(Initial, maximum);
        _time = timeProvider ?? TimeProvider.System;
    }

    public int Maximum { get; }

    public int Minimum { get; }

    public int Initial { get; }

    /// <summary>The least time between two cuts.</summary>
    public TimeSpan CutInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The limit now.</summary>
    public int Current
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>Times the limit was cut.</summary>
    public int Cuts { get; private set; }

    /// <summary>Waits for a permit.</summary>
    public Task WaitAsync(CancellationToken cancellationToken = default) => _permits.WaitAsync(cancellationToken);

    /// <summary>Returns a permit, saying whether the work it allowed saw a timeout.</summary>
    public void Release(bool timedOut)
    {
        var give = 0;
        lock (_gate)
        {
            if (timedOut)
            {
                var now = _time.GetTimestamp();
                if (_lastCut == long.MinValue || _time.GetElapsedTime(_lastCut, now) >= CutInterval)
                {
                    var cut = Math.Max(Minimum, _limit / 2);
                    _debt += _limit - cut;
                    _limit = cut;
                    _lastCut = now;
                    Cuts++;
                }
            }

            if (_debt > 0)
            {
                _debt--;
            }
            else
            {
                give = 1;
                if (!timedOut && _limit < Maximum && (Cuts == 0 || ++_credit >= _limit))
                {
                    _credit = 0;
                    _limit++;
                    give = 2;
                }
            }
        }

        if (give > 0)
        {
            _permits.Release(give);
        }
    }

    public void Dispose() => _permits.Dispose();
}
