using System.Security.Cryptography;
using DaneScan.Core;
using static DaneScan.Core.Tests.TestPki;

namespace DaneScan.Core.Tests;

/// <summary>The per-depth chain summary the report and the dataset show.</summary>
public class ChainSummaryTests
{
    private static readonly Pki P = Pki.Shared;

    [Fact]
    public void Summarises_each_certificate_with_digests_and_the_records_matching_it()
    {
        var ee = P.Leaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var ta = P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256);
        var unusable = new TlsaRecord(TlsaUsage.PkixTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256, ta.Data);

        var s = ChainSummary.Summarize(Chain(P.Leaf, P.Intermediate, P.Root), [ee, ta, unusable]);

        Assert.Equal(3, s.Count);
        Assert.Equal([ee], s[0].MatchingRecords);
        Assert.Empty(s[1].MatchingRecords);
        Assert.Equal([ta], s[2].MatchingRecords);
        Assert.Equal(["mx.example.net"], s[0].DnsNames);
        Assert.False(s[0].IsCa);
        Assert.True(s[1].IsCa);
        Assert.False(s[1].SelfIssued);
        Assert.True(s[2].SelfIssued);
        Assert.Equal("ECDSA P-256", s[0].KeyAlgorithm);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(P.Leaf.Der)), s[0].CertSha256);
        Assert.Equal(Convert.ToHexStringLower(ee.Data), s[0].SpkiSha256);
        Assert.Equal(ValidTo, s[0].NotAfter);
    }

    [Fact]
    public void Rsa_keys_and_unparsable_entries()
    {
        var s = ChainSummary.Summarize([P.SelfSignedRsa.Der, [1, 2, 3]], []);

        Assert.Equal("RSA 2048", s[0].KeyAlgorithm);
        Assert.False(s[1].Parsed);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), s[1].CertSha256);
        Assert.Null(s[1].SpkiSha256);
    }
}
