using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;

namespace DaneScan.Pipeline.Engine;

/// <summary>One domain, end to end: resolve, probe what DANE calls for, judge.</summary>
public sealed class DomainChecker(DomainResolver resolver, HostProber prober, int smtpPort = 25)
{
    private readonly DomainResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
    private readonly HostProber _prober = prober ?? throw new ArgumentNullException(nameof(prober));

    /// <summary>The resolver the checker uses (the scan pipeline's resolve stage shares it).</summary>
    public DomainResolver Resolver => _resolver;

    /// <summary>The polite prober the checker uses (the scan pipeline's probe stage shares it).</summary>
    public HostProber Prober => _prober;

    public int SmtpPort { get; } = smtpPort is > 0 and <= 65535 ? smtpPort : throw new ArgumentOutOfRangeException(nameof(smtpPort));

    /// <summary>Resolves the domain, probes each target once (in parallel, politely) and judges the result.</summary>
    public async Task<(DomainScan Scan, DomainVerdict Verdict)> CheckAsync(string domain, CancellationToken cancellationToken = default)
    {
        var dns = await _resolver.ResolveAsync(domain, cancellationToken).ConfigureAwait(false);
        var targets = ProbeTarget.For(dns, SmtpPort);
        var probes = await Task.WhenAll(targets.Select(t => _prober.ProbeAsync(t, cancellationToken))).ConfigureAwait(false);
        var scan = new DomainScan(dns, probes);
        return (scan, DaneJudge.Judge(scan));
    }

    /// <summary>
    /// As <see cref="CheckAsync(string, CancellationToken)"/> within a per-domain deadline, by the rule of
    /// <c>danescan scan --domain-deadline</c> (<c>LocalScanOptions.DomainDeadline</c>): counted from the start of
    /// the resolution; once it has passed the domain is judged with the probes that finished, the others'
    /// addresses <see cref="HostReason.ProbeMissing"/> and their keys in <see cref="DomainCheck.PendingProbeKeys"/>.
    /// The unfinished probes serve no other domain here, so they are cancelled.
    /// </summary>
    public async Task<DomainCheck> CheckAsync(string domain, TimeSpan deadline, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(deadline, TimeSpan.Zero);
        time ??= TimeProvider.System;
        var began = time.GetTimestamp();
        var dns = await _resolver.ResolveAsync(domain, cancellationToken).ConfigureAwait(false);
        var targets = ProbeTarget.For(dns, SmtpPort);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = targets.Select(t => _prober.ProbeAsync(t, stop.Token)).ToArray();
        var (probes, pending) = await ProbeDeadline.HarvestAsync(tasks, targets, deadline - time.GetElapsedTime(began), time, cancellationToken).ConfigureAwait(false);
        if (pending.Count > 0)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var task in tasks.Where(t => !t.IsCompleted))
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Cancelled at the deadline, as intended.
                }
            }
        }

        var scan = new DomainScan(dns, probes);
        return new DomainCheck(scan, DaneJudge.Judge(scan), pending, time.GetElapsedTime(began));
    }
}

/// <summary>One domain checked within its deadline: the observation, its verdict, and the probes the deadline cut off.</summary>
public sealed record DomainCheck(DomainScan Scan, DomainVerdict Verdict, IReadOnlyList<string> PendingProbeKeys, TimeSpan Elapsed)
{
    /// <summary>Whether the deadline passed before every probe finished.</summary>
    public bool PastDeadline => PendingProbeKeys.Count > 0;
}
