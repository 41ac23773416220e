using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Engine;

namespace DaneScan.Functions.Tests;

/// <summary>
/// Observations shaped as the resolver and prober produce them, for the stage tests that replace DNS and SMTP
/// (the lab end-to-end test runs the real ones).
/// </summary>
internal static class StageObservations
{
    private static readonly DateTimeOffset Observed = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A domain with one MX host; with <paramref name="daneHost"/> the host's addresses and TLSA are secure (DANE applies, so it is probed).</summary>
    public static DomainObservation Domain(string domain, string mxHost, string address, bool daneHost)
    {
        var tlsa = new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var secure = daneHost ? DnsOutcome.SecureAnswer : DnsOutcome.InsecureAnswer;
        var host = new MxHostObservation
        {
            Name = mxHost,
            Preference = 10,
            A = new RrsetObservation<string>(mxHost, "A", secure, DenialKind.None, [address], 300, []),
            Aaaa = new RrsetObservation<string>(mxHost, "AAAA", daneHost ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial, DenialKind.NoData, [], 300, []),
            TlsaLookups = daneHost
                ? [new RrsetObservation<TlsaRecord>($"_25._tcp.{mxHost}", "TLSA", DnsOutcome.SecureAnswer, DenialKind.None, [tlsa], 3600, [])]
                : [],
            TlsaBase = mxHost,
        };
        return new DomainObservation
        {
            Domain = domain,
            ObservedUtc = Observed,
            Resolver = new ResolverInfo("127.0.0.53:53", DnsTrustMode.ValidatingResolverAd),
            Mx = new RrsetObservation<MxRecord>(domain, "MX", secure, DenialKind.None, [new MxRecord(10, DnsName.Unchecked(mxHost))], 3600, []),
            Hosts = [host],
        };
    }

    /// <summary>A successful STARTTLS probe of the target presenting a placeholder chain.</summary>
    public static ProbeObservation Probe(ProbeTarget target) => new()
    {
        Host = target.Host,
        Address = target.Address.ToString(),
        ServerName = target.ServerName,
        StartedUtc = Observed,
        Outcome = ProbeOutcome.TlsEstablished,
        Banner = $"220 {target.Host} ESMTP",
        EhloKeywords = ["STARTTLS"],
        StartTlsOffered = true,
        StartTlsReply = "220 2.0.0 Ready",
        TlsProtocol = "Tls13",
        PresentedChain = [[1, 2, 3, 4]],
        EhloAfterTlsOk = true,
    };
}
