using DaneScan.Core;

namespace DaneScan.Benchmarks;

/// <summary>
/// Realistic observations built once in setup: what the resolve and probe stages record for a DANE-EE
/// domain with two MX hosts, a DANE-TA domain, and a domain without DANE.
/// </summary>
internal sealed class Scenarios
{
    private static readonly ResolverInfo Resolver = new("127.0.151.53:53", DnsTrustMode.ValidatingResolverAd);

    public static Scenarios Shared { get; } = new();

    public BenchPki.Issued Root { get; }

    public BenchPki.Issued Intermediate { get; }

    /// <summary>ECDSA leaf for mx1/mx2.ee.bench issued by the intermediate (a Let's Encrypt-like chain).</summary>
    public BenchPki.Issued EeLeaf { get; }

    /// <summary>RSA leaf for mx.ta.bench issued by the intermediate.</summary>
    public BenchPki.Issued TaLeaf { get; }

    /// <summary>Two hosts, each one secure IPv4 address, TLSA "3 1 1" current + next key (rollover practice).</summary>
    public DomainScan DaneEe { get; }

    /// <summary>One host, TLSA "2 0 1" of the root, chain leaf + intermediate + root: full path building and name checks.</summary>
    public DomainScan DaneTa { get; }

    /// <summary>Insecure MX, no TLSA lookup, opportunistic STARTTLS with a PKIX chain.</summary>
    public DomainScan NonDane { get; }

    /// <summary>The TA scan's presented chain, TLSA RRset and reference identifiers, for <see cref="DaneMatcher.Judge"/> alone.</summary>
    public IReadOnlyList<byte[]> TaChain { get; }

    public IReadOnlyList<TlsaRecord> TaRecords { get; }

    public IReadOnlyList<string> TaReferences { get; }

    public IReadOnlyList<byte[]> EeChain { get; }

    public IReadOnlyList<TlsaRecord> EeRecords { get; }

    public IReadOnlyList<string> EeReferences { get; }

    /// <summary>A mixed TLSA RRset: usable, unusable, malformed and digest-agility cases side by side.</summary>
    public IReadOnlyList<TlsaRecord> MixedRrset { get; }

    private Scenarios()
    {
        Root = BenchPki.Root("DaneScan Bench Root");
        Intermediate = BenchPki.Intermediate("DaneScan Bench Intermediate", Root);
        EeLeaf = BenchPki.Leaf(Intermediate, rsa: false, "mx1.ee.bench", "mx2.ee.bench");
        TaLeaf = BenchPki.Leaf(Intermediate, rsa: true, "mx.ta.bench");
        var nextKey = BenchPki.Leaf(null, rsa: false, "mx1.ee.bench");

        EeRecords =
        [
            EeLeaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256),
            nextKey.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256),
        ];
        EeChain = [EeLeaf.Der, Intermediate.Der];
        EeReferences = DaneMatcher.ReferenceIdentifiers("mx1.ee.bench", "mx1.ee.bench", "ee.bench");
        DaneEe = new DomainScan(
            Domain("ee.bench", secureMx: true, Host("mx1.ee.bench", 10, "127.0.151.11", EeRecords), Host("mx2.ee.bench", 20, "127.0.151.12", EeRecords)),
            [Tls("mx1.ee.bench", "127.0.151.11", EeChain), Tls("mx2.ee.bench", "127.0.151.12", EeChain)]);

        TaRecords = [Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256)];
        TaChain = [TaLeaf.Der, Intermediate.Der, Root.Der];
        TaReferences = DaneMatcher.ReferenceIdentifiers("mx.ta.bench", "mx.ta.bench", "ta.bench");
        DaneTa = new DomainScan(
            Domain("ta.bench", secureMx: true, Host("mx.ta.bench", 10, "127.0.151.21", TaRecords)),
            [Tls("mx.ta.bench", "127.0.151.21", TaChain)]);

        NonDane = new DomainScan(
            Domain("plain.bench", secureMx: false, Host("mx.plain.bench", 10, "127.0.151.31", tlsa: null)),
            [Tls("mx.plain.bench", "127.0.151.31", EeChain)]);

        MixedRrset =
        [
            EeLeaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256),
            EeLeaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_512),
            EeLeaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_256),
            Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256),
            Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full),
            EeLeaf.Tlsa(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256),
            Root.Tlsa(TlsaUsage.PkixTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256),
            new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, new byte[20]),
            new TlsaRecord((TlsaUsage)4, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, new byte[32]),
            new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, (TlsaMatchingType)255, new byte[16]),
        ];
    }

    private static RrsetObservation<T> Answer<T>(string name, string type, bool secure, params T[] records) =>
        new(name, type, secure ? DnsOutcome.SecureAnswer : DnsOutcome.InsecureAnswer, DenialKind.None, records, 3600, [], OriginalTtl: 3600);

    private static MxHostObservation Host(string name, ushort preference, string address, IReadOnlyList<TlsaRecord>? tlsa)
    {
        var secure = tlsa is not null;
        return new MxHostObservation
        {
            Name = name,
            Preference = preference,
            A = Answer(name, "A", secure, address),
            Aaaa = new RrsetObservation<string>(name, "AAAA", secure ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial, DenialKind.NoData, [], 900, []),
            TlsaLookups = tlsa is null ? [] : [Answer("_25._tcp." + name, "TLSA", true, [.. tlsa])],
            TlsaBase = tlsa is null ? null : name,
        };
    }

    private static DomainObservation Domain(string domain, bool secureMx, params MxHostObservation[] hosts) => new()
    {
        Domain = domain,
        ObservedUtc = BenchPki.Now,
        Resolver = Resolver,
        Mx = Answer(domain, "MX", secureMx, [.. hosts.Select(h => new MxRecord(h.Preference, DnsName.Unchecked(h.Name)))]),
        Hosts = hosts,
    };

    private static ProbeObservation Tls(string host, string address, IReadOnlyList<byte[]> chain) => new()
    {
        Host = host,
        Address = address,
        ServerName = host,
        StartedUtc = BenchPki.Now,
        Outcome = ProbeOutcome.TlsEstablished,
        Banner = "220 " + host + " ESMTP",
        StartTlsOffered = true,
        StartTlsReply = "220 2.0.0 Ready to start TLS",
        TlsProtocol = "Tls13",
        CipherSuite = "TLS_AES_256_GCM_SHA384",
        EhloKeywords = ["PIPELINING", "SIZE 52428800", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8", "CHUNKING"],
        PresentedChain = chain,
        EhloAfterTlsOk = true,
        TimingsMs = new Dictionary<string, double> { ["Connect"] = 0.4, ["Banner"] = 1.1, ["StartTls"] = 0.6, ["Handshake"] = 4.2 },
    };
}
