using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>docs/dane-rules.md §8: best-practice findings, each shown present and absent.</summary>
public class FindingTests
{
    private static readonly Pki P = Pki.Shared;
    private const string Mx = "mx.example.net";
    private const string Ip = "127.0.0.10";

    private static readonly TestPki.Issued Next = TestPki.Leaf(null, Mx, [Mx]);

    private static TlsaRecord Ee => P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static TlsaRecord NextEe => Next.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static List<FindingCode> Codes(DomainObservation dns, params ProbeObservation[] probes) =>
        [.. DaneJudge.Judge(dns, probes).Findings.Select(f => f.Code)];

    private static List<FindingCode> CodesFor(TlsaRecord[] records, params ProbeObservation[] probes) =>
        Codes(Domain("example.com", true, Host(Mx, Tlsa(Mx, records))), probes);

    [Fact]
    public void A_well_run_domain_has_no_findings()
    {
        Assert.Empty(CodesFor([Ee, NextEe], Tls(Mx, Ip, P.SelfSigned)));
    }

    [Fact]
    public void Recipient_domain_unsigned()
    {
        Assert.Contains(FindingCode.RecipientDomainUnsigned, Codes(Domain("example.com", false, Host(Mx, Tlsa(Mx, Ee, NextEe))), Tls(Mx, Ip, P.SelfSigned)));
        Assert.DoesNotContain(FindingCode.RecipientDomainUnsigned, Codes(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee, NextEe))), Tls(Mx, Ip, P.SelfSigned)));
    }

    [Fact]
    public void Mx_host_zone_unsigned()
    {
        var f = DaneJudge.Judge(Domain("example.com", true, Host(Mx, null, secureAddress: false)), []).Findings;

        var finding = Assert.Single(f, x => x.Code == FindingCode.MxHostZoneUnsigned);
        Assert.Equal(Mx, finding.Host);
    }

    [Fact]
    public void Tlsa_in_an_insecure_zone()
    {
        var host = Host(Mx, Answer("_25._tcp." + Mx, "TLSA", false, Ee));

        Assert.Contains(FindingCode.TlsaInInsecureZone, Codes(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned)));
        Assert.DoesNotContain(FindingCode.TlsaInInsecureZone, Codes(Domain("example.com", true, Host(Mx, Denied<TlsaRecord>("_25._tcp." + Mx, "TLSA", false)))));
    }

    [Theory]
    [InlineData(300u, true)]
    [InlineData(1799u, true)]
    [InlineData(1800u, false)]
    [InlineData(3600u, false)]
    [InlineData(3601u, true)]
    [InlineData(86400u, true)]
    public void Tlsa_ttl_between_1800_and_3600(uint ttl, bool finding)
    {
        var host = Host(Mx, Tlsa(Mx, Ee, NextEe) with { Ttl = ttl });

        Assert.Equal(finding, Codes(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned)).Contains(FindingCode.TlsaTtlOutOfRange));
    }

    [Theory]
    [InlineData(1800u, 412u, false)]
    [InlineData(300u, 300u, true)]
    [InlineData(86400u, 3000u, true)]
    public void Tlsa_ttl_advice_reads_the_zone_ttl_not_the_resolvers_countdown(uint original, uint remaining, bool finding)
    {
        var host = Host(Mx, Tlsa(Mx, Ee, NextEe) with { Ttl = remaining, OriginalTtl = original });

        Assert.Equal(finding, Codes(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned)).Contains(FindingCode.TlsaTtlOutOfRange));
    }

    [Fact]
    public void Spki_selector_preferred()
    {
        var cert = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_256);

        Assert.Contains(FindingCode.CertSelectorUsed, CodesFor([cert, NextEe], Tls(Mx, Ip, P.SelfSigned)));
        Assert.DoesNotContain(FindingCode.CertSelectorUsed, CodesFor([Ee, NextEe], Tls(Mx, Ip, P.SelfSigned)));
    }

    public static TheoryData<string, bool> RolloverCases() => new()
    {
        { "one record", true },
        { "current and next key", false },
        { "the same record twice", true },
        { "two selectors of the same key", true },
        { "a record and a broken one", true },
        { "dane-ee plus dane-ta", false },
    };

    [Theory]
    [MemberData(nameof(RolloverCases))]
    public void Rollover_scheme_needs_two_distinct_usable_associations(string situation, bool finding)
    {
        TlsaRecord[] records = situation switch
        {
            "one record" => [Ee],
            "current and next key" => [Ee, NextEe],
            "the same record twice" => [Ee, Ee],
            "two selectors of the same key" => [Ee, P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_512)],
            "a record and a broken one" => [Ee, TestPki.Raw(3, 1, 1, 20)],
            "dane-ee plus dane-ta" => [P.Leaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)],
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };
        var probe = situation == "dane-ee plus dane-ta" ? Tls(Mx, Ip, P.Leaf, P.Intermediate, P.Root) : Tls(Mx, Ip, P.SelfSigned);

        Assert.Equal(finding, CodesFor(records, probe).Contains(FindingCode.NoRolloverScheme));
    }

    [Theory]
    [InlineData("full chain", false)]
    [InlineData("leaf only", true)]
    [InlineData("anchor from dns", true)]
    public void Dane_ta_only_with_the_full_chain_served(string situation, bool finding)
    {
        var ta = situation == "anchor from dns"
            ? P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full)
            : P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var probe = situation switch
        {
            "full chain" => Tls(Mx, Ip, P.Leaf, P.Intermediate, P.Root),
            "leaf only" => Tls(Mx, Ip, P.Leaf),
            _ => Tls(Mx, Ip, P.Leaf, P.Intermediate),
        };

        Assert.Equal(finding, CodesFor([ta, P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_512)], probe).Contains(FindingCode.DaneTaWithoutFullChain));
    }

    [Fact]
    public void All_mx_hosts_covered()
    {
        var two = Domain(
            "example.com",
            true,
            Host("mx1.example.net", Tlsa("mx1.example.net", Ee, NextEe), 10, "127.0.0.11"),
            Host("mx2.example.net", Denied<TlsaRecord>("_25._tcp.mx2.example.net", "TLSA", true), 20, "127.0.0.12"));
        var both = Domain(
            "example.com",
            true,
            Host("mx1.example.net", Tlsa("mx1.example.net", Ee, NextEe), 10, "127.0.0.11"),
            Host("mx2.example.net", Tlsa("mx2.example.net", Ee, NextEe), 20, "127.0.0.12"));

        var finding = Assert.Single(DaneJudge.Judge(two, []).Findings, f => f.Code == FindingCode.NotAllMxHostsCovered);
        Assert.Contains("mx2.example.net", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(FindingCode.NotAllMxHostsCovered, Codes(both));
    }

    [Fact]
    public void Tlsa_only_on_the_recipient_domain()
    {
        var dns = Domain("example.com", true, Host(Mx, Denied<TlsaRecord>("_25._tcp." + Mx, "TLSA", true))) with
        {
            RecipientDomainTlsa = Tlsa("example.com", Ee),
        };
        var good = Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee, NextEe))) with
        {
            RecipientDomainTlsa = Tlsa("example.com", Ee),
        };

        Assert.Contains(FindingCode.TlsaOnlyOnRecipientDomain, Codes(dns));
        Assert.DoesNotContain(FindingCode.TlsaOnlyOnRecipientDomain, Codes(good, Tls(Mx, Ip, P.SelfSigned)));
    }

    [Fact]
    public void Unusable_records_published()
    {
        var f = DaneJudge.Judge(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee, NextEe, TestPki.Raw(1, 1, 1, 32)))), [Tls(Mx, Ip, P.SelfSigned)]).Findings;

        var finding = Assert.Single(f, x => x.Code == FindingCode.UnusableRecordsPublished);
        Assert.Contains("PkixUsage", finding.Detail, StringComparison.Ordinal);
    }
}
