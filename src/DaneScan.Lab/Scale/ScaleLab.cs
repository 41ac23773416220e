using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Scale;

/// <summary>How many scale domains and hosts, and their mix. Shares are fractions between 0 and 1.</summary>
public sealed record ScaleOptions
{
    /// <summary>N: the number of destination domains.</summary>
    public int Domains { get; init; } = 10_000;

    /// <summary>M: the number of MX hosts the domains share (each on its own 127.X address).</summary>
    public int Hosts { get; init; } = 100;

    /// <summary>The share of domains in signed zones (the rest are in unsigned zones: MX not secure).</summary>
    public double SignedShare { get; init; } = 0.8;

    /// <summary>The share of hosts that publish TLSA.</summary>
    public double TlsaShare { get; init; } = 0.7;

    /// <summary>Of the hosts with TLSA, the share whose record matches.</summary>
    public double MatchingShare { get; init; } = 0.85;

    /// <summary>The share of hosts that do not offer STARTTLS.</summary>
    public double NoStartTlsShare { get; init; } = 0.05;

    /// <summary>The exponent s of the Zipf-like share of domains per host: host k gets a share proportional to 1/k^s.</summary>
    public double ZipfExponent { get; init; } = 1.0;

    /// <summary>At most this many domains per zone (big zones with many names rather than many zones).</summary>
    public int DomainsPerZone { get; init; } = 25_000;

    /// <summary>The seed that makes a generation reproducible.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// A hot address: this many more MX hosts <c>hot&lt;i&gt;.scale-hosts.lab</c>, all on one address (one SMTP
    /// server, DANE-EE matching its key), each the MX of one signed domain <c>hot&lt;i&gt;.scale-s0.lab</c> at
    /// the head of the list. Every host is its own probe, so the address needs this many politely spaced
    /// connections: the shape of a large provider with many MX names on a few addresses.
    /// </summary>
    public int HotHosts { get; init; }

    /// <summary>
    /// Fan-out domains: this many signed domains <c>fan&lt;j&gt;.scale-s0.lab</c> at the head of the list, each
    /// with <see cref="FanoutMx"/> MX names on one address whose server accepts connections and never speaks.
    /// They are listed in <see cref="ScaleLab.FanoutFile"/>, not in the expected outcomes: how many of their
    /// hosts are tried before the address is given up is the scanner's setting, not a property of the lab.
    /// </summary>
    public int FanoutDomains { get; init; }

    /// <summary>MX names per fan-out domain (all on the silent address).</summary>
    public int FanoutMx { get; init; } = 10;
}

/// <summary>A scale host's set-up.</summary>
public enum ScaleHostKind
{
    /// <summary>DANE-EE 3 1 1 matching the leaf.</summary>
    TlsaMatching,

    /// <summary>DANE-EE 3 1 1 of another key.</summary>
    TlsaMismatching,

    /// <summary>No TLSA (secure denial).</summary>
    NoTlsa,
}

/// <summary>One line of the expected-outcome file (JSONL): what a correct scan reports for a scale domain.</summary>
public sealed record ScaleExpectation
{
    public required string Domain { get; init; }

    public required string MxHost { get; init; }

    public required string Address { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<MxStatus>))]
    public required MxStatus Mx { get; init; }

    public required bool MxSecure { get; init; }

    /// <summary>Whether the host's SMTP server offers STARTTLS (a scan sees it even where DANE does not apply).</summary>
    public required bool StartTlsOffered { get; init; }

    /// <summary>The host's TLSA set-up.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<ScaleHostKind>))]
    public required ScaleHostKind HostKind { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<HostOutcome>))]
    public required HostOutcome HostOutcome { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<HostReason>))]
    public required HostReason HostReason { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<DomainDaneStatus>))]
    public required DomainDaneStatus AllMx { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<DomainDaneStatus>))]
    public required DomainDaneStatus PrimaryMx { get; init; }
}

/// <summary>
/// Benchmark domains: N domains under a few big zones <c>scale-s&lt;k&gt;.lab</c> (signed, NSEC3) and <c>scale-u&lt;k&gt;.lab</c> (unsigned), each with one MX
/// to one of M hosts <c>mx&lt;i&gt;.scale-hosts.lab</c> (a signed zone) chosen with a Zipf-like skew, hosts with
/// matching, mismatching or no TLSA and some without STARTTLS. The expected outcome of every domain is written
/// to <see cref="ExpectedFile"/> (JSONL) so a scan can be compared with it.
/// </summary>
public sealed class ScaleLab
{
    public const string HostZone = "scale-hosts." + CaseBuilder.Tld;

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private ScaleLab(IReadOnlyList<ZoneSpec> zones, IReadOnlyList<SmtpHostSpec> specs, int domains, string expectedFile, string? fanoutFile, IReadOnlyList<string> domainNames)
    {
        Zones = zones;
        SmtpSpecs = specs;
        Domains = domains;
        ExpectedFile = expectedFile;
        FanoutFile = fanoutFile;
        DomainNames = domainNames;
    }

    public IReadOnlyList<ZoneSpec> Zones { get; }

    public IReadOnlyList<SmtpHostSpec> SmtpSpecs { get; }

    public int Domains { get; }

    /// <summary>The JSONL file of <see cref="ScaleExpectation"/>, one line per domain.</summary>
    public string ExpectedFile { get; }

    /// <summary>The fan-out domains (one a line), when <see cref="ScaleOptions.FanoutDomains"/> is set.</summary>
    public string? FanoutFile { get; }

    /// <summary>Every scale domain, in generation order (the list's order).</summary>
    public IReadOnlyList<string> DomainNames { get; }

    /// <summary>Also writes <c>domains.txt</c> (one domain a line) next to the expectations.</summary>
    public static async Task<ScaleLab> GenerateAsync(ScaleOptions scale, LabOptions lab, LabPki pki, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(pki);
        if (scale.Domains < 1 || scale.Hosts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "scale needs at least one domain and one host");
        }

        if (scale.HotHosts < 0 || scale.FanoutDomains < 0 || scale.FanoutMx < 1 || scale.FanoutMx > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "hot hosts and fan-out domains cannot be negative; a fan-out domain has 1 to 100 MX names");
        }

        Directory.CreateDirectory(directory);
        var random = new Random(scale.Seed);
        var unrelated = pki.SelfSigned(["unrelated.scale.invalid"], LabKeyType.EcdsaP256);
        var unrelatedHash = Convert.ToHexStringLower(SHA256.HashData(unrelated.PublicKey.ExportSubjectPublicKeyInfo()));

        // Hosts: kind and STARTTLS drawn per host; hosts are ranked so host 0 is the biggest.
        var hostRecords = new List<ZoneRecord>(scale.Hosts * 2);
        var specs = new List<SmtpHostSpec>(scale.Hosts);
        var hostKinds = new ScaleHostKind[scale.Hosts];
        var hostStartTls = new bool[scale.Hosts];
        var hostNames = new string[scale.Hosts];
        var hostAddresses = new string[scale.Hosts];
        var tlsDir = Path.Combine(directory, "tls");
        Directory.CreateDirectory(tlsDir);
        for (var i = 0; i < scale.Hosts; i++)
        {
            var name = $"mx{i}.{HostZone}";
            var address = lab.Addresses.ScaleHost(i).ToString();
            var kind = random.NextDouble() < scale.TlsaShare
                ? (random.NextDouble() < scale.MatchingShare ? ScaleHostKind.TlsaMatching : ScaleHostKind.TlsaMismatching)
                : ScaleHostKind.NoTlsa;
            var startTls = random.NextDouble() >= scale.NoStartTlsShare;
            using var leaf = pki.SelfSigned([name], LabKeyType.EcdsaP256);
            var chainFile = Path.Combine(tlsDir, name + ".chain.pem");
            var keyFile = Path.Combine(tlsDir, name + ".key.pem");
            ScriptedSmtpServers.WritePem(chainFile, keyFile, [leaf]);
            hostRecords.Add(new ZoneRecord { Owner = name, Type = "A", Data = address });
            if (kind != ScaleHostKind.NoTlsa)
            {
                var hash = kind == ScaleHostKind.TlsaMatching
                    ? Convert.ToHexStringLower(SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo()))
                    : unrelatedHash;
                hostRecords.Add(new ZoneRecord { Owner = CaseBuilder.TlsaOwner(name), Type = "TLSA", Data = "3 1 1 " + hash });
            }

            specs.Add(new SmtpHostSpec
            {
                Address = address,
                Port = lab.SmtpPort,
                BannerName = name,
                StartTls = startTls ? StartTlsBehaviour.Offered : StartTlsBehaviour.NotOffered,
                ChainPemFile = chainFile,
                KeyPemFile = keyFile,
            });
            hostKinds[i] = kind;
            hostStartTls[i] = startTls;
            hostNames[i] = name;
            hostAddresses[i] = address;
        }

        // A server many MX names share, on its own address: returns the DANE-EE 3 1 1 digest of its key.
        string SharedServer(string name, string address, SmtpQuirk quirk)
        {
            using var leaf = pki.SelfSigned([name], LabKeyType.EcdsaP256);
            var chain = Path.Combine(tlsDir, name + ".chain.pem");
            var key = Path.Combine(tlsDir, name + ".key.pem");
            ScriptedSmtpServers.WritePem(chain, key, [leaf]);
            specs.Add(new SmtpHostSpec { Address = address, Port = lab.SmtpPort, BannerName = name, ChainPemFile = chain, KeyPemFile = key, Quirk = quirk });
            return Convert.ToHexStringLower(SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo()));
        }

        // One MX name on a shared server: its address and a TLSA record matching the server's key.
        void SharedHost(string host, string address, string hash)
        {
            hostRecords.Add(new ZoneRecord { Owner = host, Type = "A", Data = address });
            hostRecords.Add(new ZoneRecord { Owner = CaseBuilder.TlsaOwner(host), Type = "TLSA", Data = "3 1 1 " + hash });
        }

        // The hot address and the silent fan-out address come after the ordinary hosts' addresses.
        var hotAddress = lab.Addresses.ScaleHost(scale.Hosts).ToString();
        var silentAddress = lab.Addresses.ScaleHost(scale.Hosts + 1).ToString();
        var headRecords = new List<ZoneRecord>();
        var headExpected = new List<ScaleExpectation>();
        var domainNames = new List<string>(scale.Domains + scale.HotHosts + scale.FanoutDomains);
        if (scale.FanoutDomains > 0)
        {
            var silentHash = SharedServer("silent." + HostZone, silentAddress, SmtpQuirk.SilentAfterConnect);
            for (var j = 0; j < scale.FanoutDomains; j++)
            {
                var domain = $"fan{j}.scale-s0.{CaseBuilder.Tld}";
                for (var k = 0; k < scale.FanoutMx; k++)
                {
                    var host = $"fan{j}-{k}.{HostZone}";
                    SharedHost(host, silentAddress, silentHash);
                    headRecords.Add(new ZoneRecord { Owner = domain, Type = "MX", Data = $"10 {host}." });
                }

                domainNames.Add(domain);
            }
        }

        if (scale.HotHosts > 0)
        {
            var hotHash = SharedServer("hot." + HostZone, hotAddress, SmtpQuirk.None);
            for (var i = 0; i < scale.HotHosts; i++)
            {
                var host = $"hot{i}.{HostZone}";
                var domain = $"hot{i}.scale-s0.{CaseBuilder.Tld}";
                SharedHost(host, hotAddress, hotHash);
                headRecords.Add(new ZoneRecord { Owner = domain, Type = "MX", Data = $"10 {host}." });
                domainNames.Add(domain);
                var status = CaseBuilder.Aggregate([HostOutcome.Authenticated]);
                headExpected.Add(new ScaleExpectation
                {
                    Domain = domain,
                    MxHost = host,
                    Address = hotAddress,
                    Mx = MxStatus.MxHosts,
                    MxSecure = true,
                    StartTlsOffered = true,
                    HostKind = ScaleHostKind.TlsaMatching,
                    HostOutcome = HostOutcome.Authenticated,
                    HostReason = HostReason.DaneEeMatched,
                    AllMx = status,
                    PrimaryMx = status,
                });
            }
        }

        // Zipf-like: cumulative weights 1/k^s.
        var cumulative = new double[scale.Hosts];
        var total = 0.0;
        for (var k = 0; k < scale.Hosts; k++)
        {
            total += 1.0 / Math.Pow(k + 1, scale.ZipfExponent);
            cumulative[k] = total;
        }

        // Each domain is signed with probability SignedShare; signed and unsigned domains fill their own big zones.
        var signedZones = Math.Max(1, (int)Math.Ceiling(scale.Domains * scale.SignedShare / scale.DomainsPerZone));
        var unsignedZones = Math.Max(1, (int)Math.Ceiling(scale.Domains * (1 - scale.SignedShare) / scale.DomainsPerZone));
        var signedRecords = Enumerable.Range(0, signedZones).Select(_ => new List<ZoneRecord>()).ToArray();
        var unsignedRecords = Enumerable.Range(0, unsignedZones).Select(_ => new List<ZoneRecord>()).ToArray();
        var signedCount = 0;
        var unsignedCount = 0;
        signedRecords[0].AddRange(headRecords);
        var expectedFile = Path.Combine(directory, "expected.jsonl");
        string? fanoutFile = null;
        if (scale.FanoutDomains > 0)
        {
            fanoutFile = Path.Combine(directory, "fanout.txt");
            await File.WriteAllLinesAsync(fanoutFile, domainNames.Take(scale.FanoutDomains), cancellationToken).ConfigureAwait(false);
        }

        await using (var expected = new StreamWriter(expectedFile, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
        {
            foreach (var line in headExpected)
            {
                await expected.WriteLineAsync(JsonSerializer.Serialize(line, JsonLine).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            for (var j = 0; j < scale.Domains; j++)
            {
                var signed = random.NextDouble() < scale.SignedShare;
                var z = signed ? signedCount++ % signedZones : unsignedCount++ % unsignedZones;
                var domain = $"d{j}.{(signed ? "scale-s" : "scale-u")}{z}.{CaseBuilder.Tld}";
                var pick = random.NextDouble() * total;
                var h = Array.BinarySearch(cumulative, pick);
                h = h < 0 ? Math.Min(~h, scale.Hosts - 1) : h;
                (signed ? signedRecords : unsignedRecords)[z].Add(new ZoneRecord { Owner = domain, Type = "MX", Data = $"10 {hostNames[h]}." });
                domainNames.Add(domain);
                var (outcome, reason) = (hostKinds[h], hostStartTls[h]) switch
                {
                    (ScaleHostKind.NoTlsa, _) => (HostOutcome.NotDane, HostReason.TlsaSecureDenial),
                    (_, false) => (HostOutcome.NoStartTls, HostReason.StartTlsNotOffered),
                    (ScaleHostKind.TlsaMatching, true) => (HostOutcome.Authenticated, HostReason.DaneEeMatched),
                    _ => (HostOutcome.AuthenticationFailed, HostReason.NoMatchingRecord),
                };
                var status = CaseBuilder.Aggregate([outcome]);
                var line = new ScaleExpectation
                {
                    Domain = domain,
                    MxHost = hostNames[h],
                    Address = hostAddresses[h],
                    Mx = MxStatus.MxHosts,
                    MxSecure = signed,
                    StartTlsOffered = hostStartTls[h],
                    HostKind = hostKinds[h],
                    HostOutcome = outcome,
                    HostReason = reason,
                    AllMx = status,
                    PrimaryMx = status,
                };
                await expected.WriteLineAsync(JsonSerializer.Serialize(line, JsonLine).AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }

        await File.WriteAllLinesAsync(Path.Combine(directory, "domains.txt"), domainNames, cancellationToken).ConfigureAwait(false);
        var zones = new List<ZoneSpec> { new() { Origin = HostZone, Records = hostRecords } };
        for (var z = 0; z < signedZones; z++)
        {
            zones.Add(new ZoneSpec { Origin = $"scale-s{z}.{CaseBuilder.Tld}", Denial = ZoneDenial.Nsec3, Records = signedRecords[z] });
        }

        for (var z = 0; z < unsignedZones; z++)
        {
            zones.Add(new ZoneSpec { Origin = $"scale-u{z}.{CaseBuilder.Tld}", Signing = ZoneSigning.Unsigned, Records = unsignedRecords[z] });
        }

        return new ScaleLab(zones, specs, domainNames.Count, expectedFile, fanoutFile, domainNames);
    }

    /// <summary>Reads an expected-outcome file.</summary>
    public static IEnumerable<ScaleExpectation> ReadExpected(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize<ScaleExpectation>(line, JsonLine) ?? throw new InvalidDataException("empty line");
            }
        }
    }
}
