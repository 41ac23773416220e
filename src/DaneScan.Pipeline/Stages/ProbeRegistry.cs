using System.Collections.Concurrent;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Engine;

namespace DaneScan.Pipeline.Stages;

/// <summary>
/// The per-run host dedupe: each <see cref="ProbeTarget.Key"/> is probed once per run. The first domain
/// that needs a target claims it and starts the probe; every other domain that needs it, at the same time
/// or later, awaits the same task. A finished probe is written to the result store before any domain that
/// references it can be recorded, so a killed run never leaves a recorded domain whose probe is missing.
/// A resumed run first looks the target up in the store and reuses a probe an earlier attempt stored.
/// </summary>
/// <remarks>Memory: one entry (the probe observation) per distinct target of the run.</remarks>
public sealed class ProbeRegistry(
    Func<ProbeTarget, CancellationToken, Task<ProbeObservation>> probe,
    IResultStore store,
    string runId,
    bool reuseStored,
    CancellationToken runCancellation)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ProbeObservation>>> _targets = new(StringComparer.Ordinal);
    private long _probed;
    private long _reused;
    private long _loaded;
    private int _inFlight;
    private readonly ConcurrentDictionary<System.Net.IPAddress, int> _perAddress = new();

    /// <summary>Probes run in this attempt (each once).</summary>
    public long Probed => Interlocked.Read(ref _probed);

    /// <summary>Times a domain used a probe another domain had claimed.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>Probes taken from the store (stored by an earlier attempt of the run).</summary>
    public long Loaded => Interlocked.Read(ref _loaded);

    /// <summary>Distinct targets seen.</summary>
    public int Targets => _targets.Count;

    /// <summary>Probes finished or running now (those not yet finished).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The address that needed the most connections in this attempt, and how many (the polite lower bound's
    /// factor): one per probe made, one more per retry; probes not made (opted out, over the address's budget) none.
    /// </summary>
    public (System.Net.IPAddress? Address, int Probes) BusiestAddress
    {
        get
        {
            System.Net.IPAddress? busiest = null;
            var most = 0;
            foreach (var (address, count) in _perAddress)
            {
                if (count > most)
                {
                    (busiest, most) = (address, count);
                }
            }

            return (busiest, most);
        }
    }

    /// <summary>The target's observation: probed by the first caller, shared with every other.</summary>
    public Task<ProbeObservation> GetAsync(ProbeTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var created = false;
        var lazy = _targets.GetOrAdd(target.Key, _ =>
        {
            created = true;
            return new Lazy<Task<ProbeObservation>>(() => RunAsync(target), LazyThreadSafetyMode.ExecutionAndPublication);
        });
        if (!created)
        {
            Interlocked.Increment(ref _reused);
        }

        return lazy.Value;
    }

    private async Task<ProbeObservation> RunAsync(ProbeTarget target)
    {
        await Task.Yield();
        if (reuseStored && await store.ReadProbeAsync(runId, target.Host, target.Address.ToString(), runCancellation).ConfigureAwait(false) is { } stored)
        {
            Interlocked.Increment(ref _loaded);
            return stored.Observation;
        }

        Interlocked.Increment(ref _inFlight);
        ProbeObservation observation;
        try
        {
            observation = await probe(target, runCancellation).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        // Connections made count towards the polite lower bound (a retry is one more); a probe the policy or the
        // address's budget skipped made none.
        if (observation.Outcome != ProbeOutcome.NotProbed)
        {
            var connections = 1 + (observation.EarlierAttempts?.Count ?? 0);
            _perAddress.AddOrUpdate(Politeness.AddressPolicy.Canonical(target.Address), connections, (_, n) => n + connections);
        }

        Interlocked.Increment(ref _probed);
        await store.WriteProbesAsync(runId, [new ProbeRecord { Observation = observation }], runCancellation).ConfigureAwait(false);
        return observation;
    }
}
