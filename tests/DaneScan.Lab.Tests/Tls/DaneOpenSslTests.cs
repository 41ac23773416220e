using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>
/// Ground truth for the lab's TLS cases: openssl's own DANE verifier (<c>s_client -dane_tlsa_domain
/// -dane_tlsa_rrdata</c>), given the TLSA records the lab computes, judges each scripted server's chain.
/// </summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class DaneOpenSslTests(TlsLabFixture lab)
{
    private static string Rr(X509Certificate2 certificate, TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matching) =>
        TlsaAssociation.Record(certificate, usage, selector, matching).ToString();

    /// <summary>s_client with DANE; DANE-EE name checks are off, as RFC 7672 §3.1.1 wants for SMTP (Postfix does the same).</summary>
    private async Task<string> DaneAsync(string host, params string[] records)
    {
        var spec = lab.Hosts[host];
        var extra = new List<string> { "-dane_tlsa_domain", TlsLabFixture.MxName, "-dane_ee_no_namechecks" };
        foreach (var record in records)
        {
            extra.AddRange(["-dane_tlsa_rrdata", record]);
        }

        var result = await ExternalTool.SClientAsync(spec.Address, spec.Port, TlsLabFixture.MxName, extra);
        return result.All;
    }

    [Fact]
    public async Task Dane_ee_spki_sha256_matches_the_leaf_at_depth_0()
    {
        var output = await DaneAsync("full", Rr(lab.CaLeaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("matched EE certificate at depth 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ee_cert_sha512_matches_the_rsa_self_signed_leaf()
    {
        var output = await DaneAsync("rsa", Rr(lab.RsaSelfSigned, TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_512));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("matched EE certificate at depth 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ee_of_another_key_does_not_match()
    {
        var output = await DaneAsync("ecdsa", Rr(lab.CaLeaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.DoesNotContain("Verification: OK", output, StringComparison.Ordinal);
        Assert.DoesNotContain("matched", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ee_ignores_the_wrong_name_and_the_expiry_of_the_leaf()
    {
        var wrong = await DaneAsync("wrong-name", Rr(lab.WrongNameLeaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", wrong, StringComparison.Ordinal);
        Assert.Contains("matched EE certificate at depth 0", wrong, StringComparison.Ordinal);
        var expired = await DaneAsync("expired-leaf", Rr(lab.ExpiredLeaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", expired, StringComparison.Ordinal);
        Assert.Contains("matched EE certificate at depth 0", expired, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_of_the_intermediate_matches_at_depth_1_when_the_chain_carries_it()
    {
        var cert = await DaneAsync("leaf-int", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", cert, StringComparison.Ordinal);
        Assert.Contains("Verified peername: mx.tls.lab", cert, StringComparison.Ordinal);
        Assert.Contains("matched TA certificate at depth 1", cert, StringComparison.Ordinal);
        var spki = await DaneAsync("leaf-int", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_512));
        Assert.Contains("Verification: OK", spki, StringComparison.Ordinal);
        Assert.Contains("matched TA certificate at depth 1", spki, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_of_the_root_matches_at_depth_2_on_the_full_chain_host()
    {
        var output = await DaneAsync("full", Rr(lab.Pki.Root, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("matched TA certificate at depth 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_digest_of_the_intermediate_fails_when_only_the_leaf_is_sent()
    {
        var output = await DaneAsync("leaf", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));
        Assert.DoesNotContain("Verification: OK", output, StringComparison.Ordinal);
        Assert.DoesNotContain("matched", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_full_certificate_of_the_intermediate_succeeds_even_when_only_the_leaf_is_sent()
    {
        // RFC 7671 §5.2.2: a "2 0 0" record carries the whole anchor, so the server need not send it.
        var output = await DaneAsync("leaf", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_of_the_root_fails_as_expired_when_the_intermediate_below_it_is_expired()
    {
        var output = await DaneAsync("expired-int", Rr(lab.Pki.Root, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));
        Assert.DoesNotContain("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("certificate has expired", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_anchored_at_the_expired_intermediate_itself_is_accepted_by_openssl()
    {
        // Worth knowing for the catalogue: OpenSSL (and so Postfix) does not check the validity dates of the
        // certificate that matched as the DANE-TA anchor (RFC 5280 §6.1: an anchor is a name and a key). A case
        // meant to fail as "expired" must anchor above the expired certificate, as the test above does.
        var output = await DaneAsync("expired-int", Rr(lab.Pki.ExpiredIntermediate, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("matched TA certificate at depth 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_with_a_leaf_for_another_name_fails_the_name_check()
    {
        var output = await DaneAsync("wrong-name", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));
        Assert.DoesNotContain("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("hostname mismatch", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dane_ta_accepts_a_leaf_that_names_the_host_only_in_its_common_name()
    {
        var output = await DaneAsync("cn-only", Rr(lab.Pki.Intermediate, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        Assert.Contains("Verified peername: mx.tls.lab", output, StringComparison.Ordinal);
    }
}
