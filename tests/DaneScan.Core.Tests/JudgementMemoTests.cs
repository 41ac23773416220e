using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>
/// The run's memo of chain work must never change a verdict: domains sharing one probe get, with the memo,
/// exactly the verdict each gets without it, including where the domain name is a reference identifier.
/// </summary>
public class JudgementMemoTests
{
    private static readonly Pki P = Pki.Shared;
    private const string Mx = "mx.example.net";
    private const string Ip = "127.0.0.10";

    [Fact]
    public void Domains_sharing_a_probe_get_the_verdicts_they_get_without_the_memo_and_the_chain_is_judged_once()
    {
        var ee = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var next = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var probe = Tls(Mx, Ip, P.SelfSigned);
        var memo = new JudgementMemo();

        for (var i = 0; i < 20; i++)
        {
            var dns = Domain($"d{i}.example", mxSecure: i % 2 == 0, Host(Mx, Tlsa(Mx, ee, next)));
            var with = DaneJudge.Judge(dns, [probe], memo);
            var without = DaneJudge.Judge(dns, [probe]);
            Assert.Equal(DaneJson.SerializeVerdict(without), DaneJson.SerializeVerdict(with));
            Assert.Equal(DomainDaneStatus.Protected, with.All);
        }

        Assert.Equal(1, memo.Misses);
        Assert.Equal(19, memo.Hits);
    }

    [Fact]
    public void A_dane_ta_leaf_naming_only_one_destination_domain_authenticates_that_domain_and_no_other()
    {
        // The leaf names only the destination domain "shop.example" (a reference identifier when the MX RRset is
        // secure); another domain on the same host and probe must fail the name check, memo or not.
        var leaf = TestPki.Leaf(P.Intermediate, "shop.example", ["shop.example"]);
        var ta = P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var probe = Tls(Mx, Ip, leaf, P.Intermediate, P.Root);
        var memo = new JudgementMemo();

        var named = DaneJudge.Judge(Domain("shop.example", true, Host(Mx, Tlsa(Mx, ta))), [probe], memo);
        var other = DaneJudge.Judge(Domain("other.example", true, Host(Mx, Tlsa(Mx, ta))), [probe], memo);
        var namedAgain = DaneJudge.Judge(Domain("shop.example", true, Host(Mx, Tlsa(Mx, ta))), [probe], memo);

        Assert.Equal(DomainDaneStatus.Protected, named.All);
        Assert.Equal(HostReason.DaneTaMatched, named.Hosts[0].Reason);
        Assert.Equal(DomainDaneStatus.Failing, other.All);
        Assert.Equal(HostReason.NameMismatch, other.Hosts[0].Reason);
        Assert.Equal(DaneJson.SerializeVerdict(named), DaneJson.SerializeVerdict(namedAgain));
        Assert.Equal(2, memo.Misses);
    }

    [Fact]
    public void A_different_tlsa_rrset_for_the_same_probe_is_judged_anew()
    {
        var probe = Tls(Mx, Ip, P.SelfSigned);
        var memo = new JudgementMemo();
        var matching = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var other = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var good = DaneJudge.Judge(Domain("a.example", true, Host(Mx, Tlsa(Mx, matching))), [probe], memo);
        var bad = DaneJudge.Judge(Domain("b.example", true, Host(Mx, Tlsa(Mx, other))), [probe], memo);

        Assert.Equal(DomainDaneStatus.Protected, good.All);
        Assert.Equal(HostReason.NoMatchingRecord, bad.Hosts[0].Reason);
    }

    [Fact]
    public void More_mx_hosts_published_than_recorded_is_the_truncation_finding()
    {
        var ee = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var dns = Domain("many.example", true, Host(Mx, Tlsa(Mx, ee))) with
        {
            Mx = Answer("many.example", "MX", true, new MxRecord(10, DnsName.Unchecked(Mx)), new MxRecord(20, DnsName.Unchecked("mx2.example.net")), new MxRecord(30, DnsName.Unchecked("MX3.example.net."))),
        };

        var verdict = DaneJudge.Judge(dns, [Tls(Mx, Ip, P.SelfSigned)]);

        var finding = Assert.Single(verdict.Findings, f => f.Code == FindingCode.MxHostsTruncated);
        Assert.StartsWith("3 MX hosts published; the 1 most preferred", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(DaneJudge.Judge(Domain("one.example", true, Host(Mx, Tlsa(Mx, ee))), [Tls(Mx, Ip, P.SelfSigned)]).Findings,
            f => f.Code == FindingCode.MxHostsTruncated);
    }
}
