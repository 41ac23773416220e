using DaneScan.Core;
using static DaneScan.Core.Tests.TestPki;

namespace DaneScan.Core.Tests;

/// <summary>
/// DANE-TA paths of any depth up to <see cref="DaneMatcher.MaxPathLength"/> certificates are judged (RFC 7671 §5.2);
/// beyond the bound the chain is ChainTooLong, not ChainIncomplete (docs/output.md).
/// </summary>
public class LongChainTests
{
    private static readonly string[] Refs = ["mx.example.net"];

    /// <summary>A root, <paramref name="cas"/> CAs in a line below it, and a leaf for mx.example.net; leaf first.</summary>
    private static List<Issued> Line(int cas)
    {
        var root = Ca("Deep Root");
        var chain = new List<Issued> { root };
        for (var i = 1; i <= cas; i++)
        {
            chain.Add(Ca($"Deep CA {i}", chain[^1]));
        }

        chain.Add(Leaf(chain[^1], "mx.example.net", ["mx.example.net"]));
        chain.Reverse();
        return chain;
    }

    private static ChainJudgement Judge(List<Issued> chain, TlsaRecord record) =>
        DaneMatcher.Judge([.. chain.Select(c => c.Der)], [record], Refs, Now);

    [Fact]
    public void A_dane_ta_anchor_deeper_than_ten_authenticates_at_its_depth()
    {
        var chain = Line(12); // leaf, 12 CAs, root: the root is at depth 13

        var j = Judge(chain, chain[^1].Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(13, j.Match!.Depth);
        Assert.Equal(13, j.Match.ChainIndex);
    }

    [Fact]
    public void A_path_of_exactly_the_bound_is_judged()
    {
        var chain = Line(DaneMatcher.MaxPathLength - 2); // leaf + 98 CAs + root = 100 certificates

        var j = Judge(chain, chain[^1].Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(DaneMatcher.MaxPathLength - 1, j.Match!.Depth);
    }

    [Fact]
    public void A_path_beyond_the_bound_is_chain_too_long_not_incomplete()
    {
        var chain = Line(DaneMatcher.MaxPathLength - 1); // 101 certificates: one past the bound

        var j = Judge(chain, chain[^1].Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.ChainTooLong, j.Reason);
        Assert.False(j.Authenticated);
        Assert.Contains("longer than 100 certificates", j.Detail, StringComparison.Ordinal);
        Assert.Equal(Rfc8460ResultType.CertificateNotTrusted, DaneJudge.ResultTypeFor(j.Reason));
    }

    [Fact]
    public void In_a_chain_beyond_the_bound_dane_ee_and_a_near_anchor_still_authenticate()
    {
        var chain = Line(110); // 112 certificates, as the lab's long-chain cases send

        var ee = Judge(chain, chain[0].Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        var near = Judge(chain, chain[1].Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneEeMatched, ee.Reason);
        Assert.Equal(HostReason.DaneTaMatched, near.Reason);
        Assert.Equal(1, near.Match!.Depth);
    }
}
