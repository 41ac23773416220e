using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;
using DaneScan.Lab.Pki;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>The lab's certificates and TLSA data, as openssl (an independent X.509 implementation) sees them.</summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class LabPkiOpenSslTests(TlsLabFixture lab)
{
    private string File(X509Certificate2 certificate, string name) => lab.CertificateFile(certificate, name);

    private static async Task<string> X509Async(string path, string options)
    {
        var result = await ExternalTool.ShellAsync($"openssl x509 -in '{path}' -noout {options}");
        Assert.Equal(0, result.ExitCode);
        return result.StdOut;
    }

    [Fact]
    public async Task Root_and_intermediate_are_cas_with_keycertsign_and_the_intermediate_verifies_against_the_root()
    {
        var root = File(lab.Pki.Root, "root");
        var intermediate = File(lab.Pki.Intermediate, "intermediate");
        var rootText = await X509Async(root, "-text");
        Assert.Contains("CA:TRUE", rootText, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign", rootText, StringComparison.Ordinal);
        Assert.Contains("Subject: CN = DaneScan Lab Root CA, O = DaneScan Lab", rootText, StringComparison.Ordinal);
        var intermediateText = await X509Async(intermediate, "-text");
        Assert.Contains("CA:TRUE, pathlen:0", intermediateText, StringComparison.Ordinal);
        Assert.Contains("Issuer: CN = DaneScan Lab Root CA, O = DaneScan Lab", intermediateText, StringComparison.Ordinal);
        Assert.Contains("ASN1 OID: prime256v1", intermediateText, StringComparison.Ordinal);
        var verify = await ExternalTool.ShellAsync($"openssl verify -CAfile '{root}' '{intermediate}'");
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task Leaf_issued_by_the_intermediate_verifies_with_the_intermediate_as_partial_chain_anchor_and_with_the_root()
    {
        var leaf = File(lab.CaLeaf, "ca-leaf");
        var intermediate = File(lab.Pki.Intermediate, "intermediate2");
        var root = File(lab.Pki.Root, "root2");
        var partial = await ExternalTool.ShellAsync($"openssl verify -partial_chain -CAfile '{intermediate}' '{leaf}'");
        Assert.Equal(0, partial.ExitCode);
        var full = await ExternalTool.ShellAsync($"openssl verify -CAfile '{root}' -untrusted '{intermediate}' '{leaf}'");
        Assert.Equal(0, full.ExitCode);
        var withoutIntermediate = await ExternalTool.ShellAsync($"openssl verify -CAfile '{root}' '{leaf}'");
        Assert.NotEqual(0, withoutIntermediate.ExitCode);
        var text = await X509Async(leaf, "-text");
        Assert.Contains("CA:FALSE", text, StringComparison.Ordinal);
        Assert.Contains("TLS Web Server Authentication", text, StringComparison.Ordinal);
        Assert.Contains("DNS:mx.tls.lab", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_intermediate_is_expired_and_its_leaf_fails_verification_for_that_reason()
    {
        var expired = File(lab.Pki.ExpiredIntermediate, "expired-intermediate");
        var check = await ExternalTool.ShellAsync($"openssl x509 -in '{expired}' -noout -checkend 0");
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("will expire", check.StdOut, StringComparison.Ordinal);
        var leaf = File(lab.LeafUnderExpiredIntermediate, "leaf-under-expired");
        var root = File(lab.Pki.Root, "root3");
        var verify = await ExternalTool.ShellAsync($"openssl verify -CAfile '{root}' -untrusted '{expired}' '{leaf}'");
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("certificate has expired", verify.All, StringComparison.Ordinal);
        var current = await ExternalTool.ShellAsync($"openssl x509 -in '{leaf}' -noout -checkend 0");
        Assert.Equal(0, current.ExitCode);
    }

    [Fact]
    public async Task Expired_leaf_is_expired_and_current_leaves_are_not()
    {
        var expired = await ExternalTool.ShellAsync($"openssl x509 -in '{File(lab.ExpiredLeaf, "expired-leaf")}' -noout -checkend 0");
        Assert.NotEqual(0, expired.ExitCode);
        var current = await ExternalTool.ShellAsync($"openssl x509 -in '{File(lab.EcdsaSelfSigned, "current-leaf")}' -noout -checkend 86400");
        Assert.Equal(0, current.ExitCode);
    }

    [Fact]
    public async Task Wrong_name_leaf_carries_only_the_wrong_name_and_openssl_name_check_rejects_the_mx_name()
    {
        var path = File(lab.WrongNameLeaf, "wrong-name");
        var san = await X509Async(path, "-ext subjectAltName");
        Assert.Contains("DNS:wrong.example", san, StringComparison.Ordinal);
        Assert.DoesNotContain("mx.tls.lab", san, StringComparison.Ordinal);
        var intermediate = File(lab.Pki.Intermediate, "intermediate4");
        var wrong = await ExternalTool.ShellAsync($"openssl verify -partial_chain -CAfile '{intermediate}' -verify_hostname mx.tls.lab '{path}'");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("hostname mismatch", wrong.All, StringComparison.Ordinal);
        var right = await ExternalTool.ShellAsync($"openssl verify -partial_chain -CAfile '{intermediate}' -verify_hostname wrong.example '{path}'");
        Assert.Equal(0, right.ExitCode);
    }

    [Fact]
    public async Task Cn_only_leaf_has_no_subject_alt_name_and_the_name_in_its_common_name()
    {
        var path = File(lab.CnOnlyLeaf, "cn-only");
        var text = await X509Async(path, "-text");
        Assert.DoesNotContain("Subject Alternative Name", text, StringComparison.Ordinal);
        Assert.Contains("Subject: CN = mx.tls.lab, O = DaneScan Lab", text, StringComparison.Ordinal);
        Assert.Contains("Public-Key: (2048 bit)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Self_signed_leaves_are_their_own_issuers_with_the_requested_key_types()
    {
        var rsa = await X509Async(File(lab.RsaSelfSigned, "rsa-self"), "-text");
        Assert.Contains("Public Key Algorithm: rsaEncryption", rsa, StringComparison.Ordinal);
        Assert.Contains("Issuer: CN = mx.tls.lab, O = DaneScan Lab", rsa, StringComparison.Ordinal);
        var ecdsa = await X509Async(File(lab.EcdsaSelfSigned, "ecdsa-self"), "-text");
        Assert.Contains("Public Key Algorithm: id-ecPublicKey", ecdsa, StringComparison.Ordinal);
        Assert.Contains("DNS:mx.tls.lab, DNS:alt.mx.tls.lab", ecdsa, StringComparison.Ordinal);
        var verify = await ExternalTool.ShellAsync($"openssl verify -CAfile '{File(lab.EcdsaSelfSigned, "ecdsa-self2")}' '{File(lab.EcdsaSelfSigned, "ecdsa-self3")}'");
        Assert.Equal(0, verify.ExitCode);
    }

    public static TheoryData<string, TlsaSelector, TlsaMatchingType> Digests => new()
    {
        { "ca-leaf", TlsaSelector.Spki, TlsaMatchingType.Sha2_256 },
        { "ca-leaf", TlsaSelector.Spki, TlsaMatchingType.Sha2_512 },
        { "ca-leaf", TlsaSelector.Cert, TlsaMatchingType.Sha2_256 },
        { "ca-leaf", TlsaSelector.Cert, TlsaMatchingType.Sha2_512 },
        { "rsa", TlsaSelector.Spki, TlsaMatchingType.Sha2_256 },
        { "rsa", TlsaSelector.Cert, TlsaMatchingType.Sha2_512 },
        { "intermediate", TlsaSelector.Spki, TlsaMatchingType.Sha2_256 },
        { "intermediate", TlsaSelector.Cert, TlsaMatchingType.Sha2_256 },
        { "root", TlsaSelector.Spki, TlsaMatchingType.Sha2_512 },
        { "cn-only", TlsaSelector.Spki, TlsaMatchingType.Full },
        { "intermediate", TlsaSelector.Cert, TlsaMatchingType.Full },
    };

    [Theory]
    [MemberData(nameof(Digests))]
    public async Task Tlsa_association_data_equals_openssls_own_computation(string which, TlsaSelector selector, TlsaMatchingType matching)
    {
        var certificate = which switch
        {
            "ca-leaf" => lab.CaLeaf,
            "rsa" => lab.RsaSelfSigned,
            "intermediate" => lab.Pki.Intermediate,
            "root" => lab.Pki.Root,
            "cn-only" => lab.CnOnlyLeaf,
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        var path = File(certificate, $"tlsa-{which}-{selector}-{matching}");
        var content = selector == TlsaSelector.Spki
            ? $"openssl x509 -in '{path}' -noout -pubkey | openssl pkey -pubin -outform DER"
            : $"openssl x509 -in '{path}' -outform DER";
        var digest = matching switch
        {
            TlsaMatchingType.Sha2_256 => " | openssl dgst -sha256 -r | cut -d' ' -f1",
            TlsaMatchingType.Sha2_512 => " | openssl dgst -sha512 -r | cut -d' ' -f1",
            _ => " | od -An -v -tx1 | tr -d ' \\n'",
        };
        var openssl = await ExternalTool.ShellAsync(content + digest);
        Assert.Equal(0, openssl.ExitCode);
        var record = TlsaAssociation.Record(certificate, TlsaUsage.DaneEe, selector, matching);
        Assert.Equal(openssl.StdOut.Trim(), Convert.ToHexStringLower(record.Data));
    }
}
