using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DaneScan.Core;

namespace DaneScan.Pipeline.Politeness;

/// <summary>
/// The per-address budget: once <see cref="MaxConsecutiveFailures"/> connections in a row to one address have
/// failed before the server spoke (connect refused or timed out, no banner), the address's remaining hosts are
/// not probed; each gets a <see cref="ProbeOutcome.NotProbed"/> observation saying why. A silent address that
/// many MX names point at (a fan-out) so costs a few connection deadlines, not one per name, and cannot hold
/// more than its share of the run's probe capacity. One answer resets the count.
/// </summary>
/// <remarks>Memory: one counter per address that failed at least once.</remarks>
public sealed class AddressBudget
{
    /// <summary>The default of <see cref="MaxConsecutiveFailures"/>.</summary>
    public const int DefaultMaxConsecutiveFailures = 3;

    private readonly ConcurrentDictionary<IPAddress, int> _failures = new();
    private long _skipped;

    /// <param name="maxConsecutiveFailures">Failed connections in a row after which an address is given up; 0 turns the budget off.</param>
    public AddressBudget(int maxConsecutiveFailures = DefaultMaxConsecutiveFailures)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxConsecutiveFailures);
        MaxConsecutiveFailures = maxConsecutiveFailures;
    }

    /// <summary>Failed connections in a row after which an address is given up (0: never).</summary>
    public int MaxConsecutiveFailures { get; }

    /// <summary>Probes not made because their address had used up its budget.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Why a probe of <paramref name="address"/> is not made now, or null when it may be.</summary>
    public string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (MaxConsecutiveFailures == 0 || !_failures.TryGetValue(AddressPolicy.Canonical(address), out var failures) || failures < MaxConsecutiveFailures)
        {
            return null;
        }

        Interlocked.Increment(ref _skipped);
        return string.Create(CultureInfo.InvariantCulture,
            $"address {AddressPolicy.Canonical(address)}: {failures} connections in a row failed before the server spoke; its remaining hosts are not probed (per-address budget)");
    }

    /// <summary>Counts a finished probe of <paramref name="address"/> against (or back into) its budget.</summary>
    public void Record(IPAddress address, ProbeObservation observation)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(observation);
        var key = AddressPolicy.Canonical(address);
        if (IsSilent(observation))
        {
            _failures.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
        else if (observation.Outcome != ProbeOutcome.NotProbed)
        {
            _failures.TryRemove(key, out _);
        }
    }

    /// <summary>A connection that failed before the server said anything: refused, unroutable, or no banner in time.</summary>
    public static bool IsSilent(ProbeObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return observation.Outcome == ProbeOutcome.Unreachable
            || observation.Outcome == ProbeOutcome.Timeout && observation.FailedStage is ProbeStage.Connect or ProbeStage.Banner;
    }
}
