using DaneScan.Core;

namespace DaneScan.Core.Tests;

/// <summary>Builds DNS observations and probes for verdict tests.</summary>
internal static class Scenario
{
    public static readonly ResolverInfo Resolver = new("127.0.0.1:53", DnsTrustMode.ValidatingResolverAd);

    public static RrsetObservation<T> Answer<T>(string name, string type, bool secure, params T[] records) =>
        new(name, type, secure ? DnsOutcome.SecureAnswer : DnsOutcome.InsecureAnswer, DenialKind.None, records, 3600, []);

    public static RrsetObservation<T> Denied<T>(string name, string type, bool secure, DenialKind kind = DenialKind.NoData) =>
        new(name, type, secure ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial, kind, [], 900, []);

    public static RrsetObservation<T> Failed<T>(string name, string type, DnsOutcome outcome) =>
        new(name, type, outcome, DenialKind.None, [], null, [], LookupFailureKind.ServFail);

    public static RrsetObservation<TlsaRecord> Tlsa(string host, params TlsaRecord[] records) =>
        Answer("_25._tcp." + host, "TLSA", true, records) with { Ttl = 3600 };

    /// <summary>A host with one secure IPv4 address and the given TLSA lookup (null: none made).</summary>
    public static MxHostObservation Host(string name, RrsetObservation<TlsaRecord>? tlsa, ushort preference = 10, string address = "127.0.0.10", bool secureAddress = true)
    {
        return new MxHostObservation
        {
            Name = name,
            Preference = preference,
            A = Answer(name, "A", secureAddress, address),
            Aaaa = Denied<string>(name, "AAAA", secureAddress),
            TlsaLookups = tlsa is null ? [] : [tlsa],
            TlsaBase = tlsa is null ? null : name,
        };
    }

    public static DomainObservation Domain(string domain, bool mxSecure, params MxHostObservation[] hosts) => new()
    {
        Domain = domain,
        ObservedUtc = TestPki.Now,
        Resolver = Resolver,
        Mx = Answer(domain, "MX", mxSecure, [.. hosts.Select(h => new MxRecord(h.Preference, DnsName.Unchecked(h.Name)))]),
        Hosts = hosts,
    };

    public static ProbeObservation Tls(string host, string address, params TestPki.Issued[] chain) => new()
    {
        Host = host,
        Address = address,
        ServerName = host,
        StartedUtc = TestPki.Now,
        Outcome = ProbeOutcome.TlsEstablished,
        StartTlsOffered = true,
        StartTlsReply = "220 2.0.0 Ready to start TLS",
        TlsProtocol = "Tls13",
        CipherSuite = "TLS_AES_256_GCM_SHA384",
        EhloKeywords = ["PIPELINING", "STARTTLS"],
        PresentedChain = TestPki.Chain(chain),
        EhloAfterTlsOk = true,
        TimingsMs = new Dictionary<string, double> { ["Connect"] = 1.5 },
    };

    public static ProbeObservation Failure(string host, string address, ProbeOutcome outcome, ProbeStage stage) => new()
    {
        Host = host,
        Address = address,
        StartedUtc = TestPki.Now,
        Outcome = outcome,
        FailedStage = stage,
        Detail = outcome.ToString(),
    };
}
