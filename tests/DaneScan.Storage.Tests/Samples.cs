using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Storage.Tests;

/// <summary>Observations shaped like the resolver and the prober produce them.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset When = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static DomainRecord Domain(string domain, string mxHost = "mx.example.net", string address = "192.0.2.25", long? rank = null)
    {
        var tlsa = new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var host = new MxHostObservation
        {
            Name = mxHost,
            Preference = 10,
            A = new RrsetObservation<string>(mxHost, "A", DnsOutcome.SecureAnswer, DenialKind.None, [address], 300, []),
            Aaaa = new RrsetObservation<string>(mxHost, "AAAA", DnsOutcome.SecureDenial, DenialKind.NoData, [], 300, []),
            TlsaLookups = [new RrsetObservation<TlsaRecord>($"_25._tcp.{mxHost}", "TLSA", DnsOutcome.SecureAnswer, DenialKind.None, [tlsa], 3600, [])],
            TlsaBase = mxHost,
        };
        return new DomainRecord
        {
            Source = "list.txt",
            Rank = rank,
            Observation = new DomainObservation
            {
                Domain = domain,
                ObservedUtc = When,
                Resolver = new ResolverInfo("127.0.0.53:53", DnsTrustMode.ValidatingResolverAd),
                Mx = new RrsetObservation<MxRecord>(domain, "MX", DnsOutcome.SecureAnswer, DenialKind.None, [new MxRecord(10, DnsName.Unchecked(mxHost))], 3600, []),
                Hosts = [host],
            },
        };
    }

    public static ProbeRecord Probe(string host, string address, int chainBytes = 1200, int seed = 1)
    {
        var random = new Random(seed);
        var cert = new byte[chainBytes];
        random.NextBytes(cert);
        return new ProbeRecord
        {
            Observation = new ProbeObservation
            {
                Host = host,
                Address = address,
                ServerName = host,
                StartedUtc = When,
                Outcome = ProbeOutcome.TlsEstablished,
                Banner = $"220 {host} ESMTP",
                EhloKeywords = ["PIPELINING", "STARTTLS", "8BITMIME"],
                StartTlsOffered = true,
                StartTlsReply = "220 2.0.0 Ready",
                TlsProtocol = "Tls13",
                CipherSuite = "TLS_AES_256_GCM_SHA384",
                LeafKey = "ECDSA P-256",
                PresentedChain = [cert],
                EhloAfterTlsOk = true,
                TimingsMs = new Dictionary<string, double> { ["Connect"] = 1.5 },
            },
        };
    }

    public static RunManifest Manifest(string runId) => new()
    {
        RunId = runId,
        StartedUtc = When,
        ScannerVersion = "0.1.0",
        TrustMode = DnsTrustMode.ValidatingResolverAd,
        Resolver = "127.0.0.53:53",
        VantagePoint = "lab",
        Counts = new RunCounts { DomainsEnumerated = 3 },
        Settings = new Dictionary<string, string> { ["dnsConcurrency"] = "64" },
    };

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"danescan-store-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
