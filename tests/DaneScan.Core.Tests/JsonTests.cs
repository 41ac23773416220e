using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>Versioned JSON: readable, and a verdict recomputed from read-back observations equals the original.</summary>
public class JsonTests
{
    private static readonly Pki P = Pki.Shared;

    private static readonly TestPki.Issued Mx2Leaf = TestPki.Leaf(P.Intermediate, "mx2.example.net", ["mx2.example.net"]);

    private static DomainScan RichScan()
    {
        var ee = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var ta = P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_512);
        var odd = TestPki.Raw(4, 7, 9, 3);
        var mx1 = Host("mx1.example.net", Tlsa("mx1.example.net", ee, odd), 10, "127.0.0.11") with
        {
            Aaaa = Answer("mx1.example.net", "AAAA", true, "::1"),
        };
        var mx2 = Host("mx2.example.net", null, 20, "127.0.0.12") with
        {
            TlsaLookups = [Denied<TlsaRecord>("_25._tcp.cname.example.org", "TLSA", true), Tlsa("mx2.example.net", ta)],
            TlsaBase = "mx2.example.net",
            A = Answer("mx2.example.net", "A", true, "127.0.0.12") with { CnameChain = ["cname.example.org"] },
        };
        var mx3 = Host("mx3.example.net", null, 30, "127.0.0.13") with { A = Failed<string>("mx3.example.net", "A", DnsOutcome.Bogus) with { ExtendedDnsError = 6, Detail = "DNSSEC Bogus" } };
        var dns = Domain("example.com", true, mx1, mx2, mx3);
        var probes = new[]
        {
            Tls("mx1.example.net", "127.0.0.11", P.SelfSigned),
            Failure("mx1.example.net", "::1", ProbeOutcome.StartTlsRejected, ProbeStage.StartTls) with { StartTlsReply = "454 4.7.0 TLS not available" },
            Tls("mx2.example.net", "127.0.0.12", Mx2Leaf, P.Intermediate, P.Root),
        };
        return new DomainScan(dns, probes);
    }

    [Fact]
    public void Scan_round_trips_and_gives_the_same_verdict()
    {
        var scan = RichScan();
        var original = DaneJudge.Judge(scan);

        var json = DaneJson.SerializeScan(scan);
        var back = DaneJson.DeserializeScan(json);
        var again = DaneJudge.Judge(back);

        Assert.Equal(DaneJson.SerializeVerdict(original), DaneJson.SerializeVerdict(again));
        Assert.Equal(json, DaneJson.SerializeScan(back));
        Assert.Equal(HostOutcome.NoStartTls, original.Hosts[0].Outcome);
        Assert.Equal(HostOutcome.Authenticated, original.Hosts[1].Outcome);
    }

    [Fact]
    public void Verdict_round_trips()
    {
        var verdict = DaneJudge.Judge(RichScan());

        var json = DaneJson.SerializeVerdict(verdict, indented: true);

        Assert.Equal(json, DaneJson.SerializeVerdict(DaneJson.DeserializeVerdict(json), indented: true));
    }

    [Fact]
    public void Json_is_readable_enums_as_names_tlsa_as_hex_certificates_as_base64_der()
    {
        var scan = RichScan();
        var node = JsonNode.Parse(DaneJson.SerializeScan(scan))!;

        Assert.Equal("danescan.domain-scan", (string?)node["schema"]);
        Assert.Equal(1, (int?)node["version"]);
        var dns = node["payload"]!["dns"]!;
        Assert.Equal("SecureAnswer", (string?)dns["mx"]!["outcome"]);
        var tlsa = dns["hosts"]![0]!["tlsaLookups"]![0]!["records"]!;
        Assert.Equal("DaneEe", (string?)tlsa[0]!["usage"]);
        Assert.Equal("Spki", (string?)tlsa[0]!["selector"]);
        Assert.Equal("Sha2_256", (string?)tlsa[0]!["matchingType"]);
        Assert.Equal(Convert.ToHexStringLower(scan.Dns.Hosts[0].Tlsa!.Records[0].Data), (string?)tlsa[0]!["data"]);
        Assert.Equal(4, (int?)tlsa[1]!["usage"]);
        Assert.Equal(7, (int?)tlsa[1]!["selector"]);
        Assert.Equal(9, (int?)tlsa[1]!["matchingType"]);
        var chain = node["payload"]!["probes"]![0]!["presentedChain"]![0]!;
        Assert.Equal(P.SelfSigned.Der, Convert.FromBase64String((string)chain!));
        Assert.Equal("TlsEstablished", (string?)node["payload"]!["probes"]![0]!["outcome"]);
    }

    [Fact]
    public void Unknown_tlsa_values_survive_the_round_trip()
    {
        var back = DaneJson.DeserializeScan(DaneJson.SerializeScan(RichScan()));

        var odd = back.Dns.Hosts[0].Tlsa!.Records[1];
        Assert.Equal((TlsaUsage)4, odd.Usage);
        Assert.Equal((TlsaSelector)7, odd.Selector);
        Assert.Equal((TlsaMatchingType)9, odd.MatchingType);
        Assert.Equal(3, odd.Data.Length);
    }

    [Theory]
    [InlineData("{\"schema\":\"danescan.domain-scan\",\"version\":2,\"payload\":null}")]
    [InlineData("{\"schema\":\"danescan.domain-verdict\",\"version\":1,\"payload\":null}")]
    [InlineData("{\"schema\":\"danescan.domain-scan\",\"version\":0,\"payload\":null}")]
    public void Other_schemas_and_newer_versions_are_refused(string json)
    {
        Assert.Throws<JsonException>(() => DaneJson.DeserializeScan(json));
    }

    [Fact]
    public void Bad_tlsa_hex_is_refused()
    {
        var json = DaneJson.SerializeScan(RichScan());
        var hex = Convert.ToHexStringLower(RichScan().Dns.Hosts[0].Tlsa!.Records[0].Data);

        Assert.Throws<JsonException>(() => DaneJson.DeserializeScan(json.Replace(hex, "zz" + hex[2..], StringComparison.Ordinal)));
    }
}
