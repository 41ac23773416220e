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
}
