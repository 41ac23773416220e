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
        if (Refuse(target) is { } refused)
        {
            return refused;
        }

        var lease = await _limiter.AcquireAsync(target.Address, cancellationToken).ConfigureAwait(false);
        return await ProbeWithLeaseAsync(target, lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="ProbeAsync"/>, but never waits for the address's turn: the opt-out list, the address policy
    /// and the budget are applied exactly as there (a refused target is an immediate
    /// <see cref="ProbeOutcome.NotProbed"/> observation, never a deferral); then, if the limiter gives a lease at
    /// once (<see cref="ConnectionLimiter.TryAcquire"/>), the target is probed with it; otherwise nothing is probed
    /// and the answer says how long to wait before trying again.
    /// </summary>
    /// <param name="target">The target.</param>
    /// <param name="deferredBefore">True when this request was deferred before (it comes back at its booked slot; see <see cref="ConnectionLimiter.TryAcquire"/>).</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    public async Task<ProbeTry> TryProbeAsync(ProbeTarget target, bool deferredBefore = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Refuse(target) is { } refused)
        {
            return new ProbeTry(refused, null);
        }

        var attempt = _limiter.TryAcquire(target.Address, deferredBefore);
        if (attempt.Lease is not { } lease)
        {
            return new ProbeTry(null, attempt.RetryAfter, attempt.Reason);
        }

        return new ProbeTry(await ProbeWithLeaseAsync(target, lease, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>The opt-out list, the address policy and the budget: the observation of a refused target, or null.</summary>
    private ProbeObservation? Refuse(ProbeTarget target)
    {
        var decision = _policy.CheckProbe(target.Host, target.Address);
        if (!decision.Allowed)
        {
            return NotProbed(target, decision.Refusal == PolitenessRefusal.ReservedAddress ? ProbeSkipReason.ReservedAddress : ProbeSkipReason.OptedOut, decision.Detail);
        }

        return budget?.Refusal(target.Address) is { } early ? NotProbed(target, ProbeSkipReason.Policy, early) : null;
    }

    /// <summary>
    /// Probes with the lease held (disposed when done); the budget is asked again first, since the connections before
    /// this one may have used it up. The probe span (and the in-flight count) covers the time the lease is held and ends
    /// before the lease is released, so a span's end never falls after the moment the address's polite interval starts
    /// counting, whichever way the lease was got.
    /// </summary>
    private async Task<ProbeObservation> ProbeWithLeaseAsync(ProbeTarget target, ConnectionLease lease, CancellationToken cancellationToken)
    {
        using (lease)
        {
            using var inFlight = DaneScanTelemetry.TrackProbe(target.Host, target.Address.ToString());
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

/// <summary>What <see cref="HostProber.TryProbeAsync"/> did: the observation (probed, or refused by policy), or nothing yet and how long to wait.</summary>
/// <param name="Observation">The observation; null when deferred.</param>
/// <param name="RetryAfter">When deferred, how long from now to try again; null otherwise.</param>
/// <param name="Reason">Why it was deferred.</param>
public sealed record ProbeTry(ProbeObservation? Observation, TimeSpan? RetryAfter, DeferralReason Reason = DeferralReason.None)
{
    /// <summary>True when nothing was probed: try again after <see cref="RetryAfter"/>.</summary>
    public bool Deferred => Observation is null;
}
