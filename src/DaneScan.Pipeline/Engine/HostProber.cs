using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.Smtp;

namespace DaneScan.Pipeline.Engine;

/// <summary>
/// Probes one target politely: the opt-out list and the address policy first (a refusal becomes a
/// <see cref="ProbeOutcome.NotProbed"/> observation, never a silent gap), then at most one connection at
/// a time per address with a minimum interval between connections, under a global cap; with an
/// <see cref="AddressBudget"/>, an address whose connections keep failing silently is given up.
/// </summary>
public sealed class HostProber(SmtpProber prober, PolitenessPolicy policy, ConnectionLimiter limiter, TimeProvider? timeProvider = null, AddressBudget? budget = null)
{
    private readonly SmtpProber _prober = prober ?? throw new ArgumentNullException(nameof(prober));
    private readonly PolitenessPolicy _policy = policy ?? throw new ArgumentNullException(nameof(policy));
    private readonly ConnectionLimiter _limiter = limiter ?? throw new ArgumentNullException(nameof(limiter));
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The connection limits (politeness) the prober keeps.</summary>
    public ConnectionLimiter Limiter => _limiter;

    /// <summary>The per-address budget, if any.</summary>
    public AddressBudget? Budget => budget;

    /// <summary>Probes the target, or records why it was not probed.</summary>
    public async Task<ProbeObservation> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var decision = _policy.CheckProbe(target.Host, target.Address);
        if (!decision.Allowed)
        {
            return NotProbed(target, decision.Refusal == PolitenessRefusal.ReservedAddress ? ProbeSkipReason.ReservedAddress : ProbeSkipReason.OptedOut, decision.Detail);
        }

        // The budget is asked again once it is this target's turn: the connections before it may have used it up.
        if (budget?.Refusal(target.Address) is { } early)
        {
            return NotProbed(target, ProbeSkipReason.Policy, early);
        }

        using var inFlight = DaneScanTelemetry.TrackProbe(target.Host, target.Address.ToString());
        using var lease = await _limiter.AcquireAsync(target.Address, cancellationToken).ConfigureAwait(false);
        if (budget?.Refusal(target.Address) is { } spent)
        {
            lease.ReleaseUnused();
            return NotProbed(target, ProbeSkipReason.Policy, spent);
        }

        var probe = await _prober.ProbeAsync(new System.Net.IPEndPoint(target.Address, target.Port), target.Host, target.ServerName, cancellationToken).ConfigureAwait(false);
        DaneScanTelemetry.Probes.Add(1, new KeyValuePair<string, object?>("outcome", probe.Outcome.ToString()));
        budget?.Record(target.Address, probe);
        return probe;
    }

    private ProbeObservation NotProbed(ProbeTarget target, ProbeSkipReason reason, string? detail) => new()
    {
        Host = target.Host,
        Address = target.Address.ToString(),
        Port = target.Port,
        ServerName = target.ServerName,
        StartedUtc = _time.GetUtcNow(),
        Outcome = ProbeOutcome.NotProbed,
        SkipReason = reason,
        Detail = detail,
    };
}
