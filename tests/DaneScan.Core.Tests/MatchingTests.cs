using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;
using static DaneScan.Core.Tests.TestPki;

namespace DaneScan.Core.Tests;

/// <summary>docs/dane-rules.md §6: DANE-EE and DANE-TA matching on generated certificates.</summary>
public class MatchingTests
{
    private static readonly Pki P = Pki.Shared;
    private static readonly string[] Refs = ["mx.example.net"];

    private static ChainJudgement Judge(IReadOnlyList<byte[]> chain, params TlsaRecord[] records) =>
        DaneMatcher.Judge(chain, records, Refs, Now);

    // ---- DANE-EE(3): the leaf, every selector and matching type, ECDSA and RSA.

    public static TheoryData<TlsaSelector, TlsaMatchingType, bool> EeCombinations()
    {
        var data = new TheoryData<TlsaSelector, TlsaMatchingType, bool>();
        foreach (var s in new[] { TlsaSelector.Cert, TlsaSelector.Spki })
        {
            foreach (var m in new[] { TlsaMatchingType.Full, TlsaMatchingType.Sha2_256, TlsaMatchingType.Sha2_512 })
            {
                data.Add(s, m, false);
                data.Add(s, m, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EeCombinations))]
    public void DaneEe_matches_the_leaf_for_every_selector_and_matching_type(TlsaSelector selector, TlsaMatchingType matching, bool rsa)
    {
        var leaf = rsa ? P.SelfSignedRsa : P.SelfSigned;
        var record = leaf.Tlsa(TlsaUsage.DaneEe, selector, matching);

        var j = Judge(Chain(leaf), record);

        Assert.Equal(HostReason.DaneEeMatched, j.Reason);
        Assert.Equal(record, j.Match!.Record);
        Assert.Equal(0, j.Match.Depth);
        Assert.Equal(0, j.Match.ChainIndex);
        Assert.Null(j.Match.MatchedName);
    }

    [Fact]
    public void DaneEe_ignores_validity_dates()
    {
        var expired = TestPki.Leaf(null, "mx.example.net", ["mx.example.net"], notBefore: Now.AddYears(-3), notAfter: Now.AddYears(-2));
        var future = TestPki.Leaf(null, "mx.example.net", ["mx.example.net"], notBefore: Now.AddYears(1), notAfter: Now.AddYears(2));

        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(expired), expired.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(future), future.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_256)).Reason);
    }

    [Fact]
    public void DaneEe_ignores_names()
    {
        var record = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var j = Judge(Chain(P.Other), record);

        Assert.Equal(HostReason.DaneEeMatched, j.Reason);
    }

    [Fact]
    public void DaneEe_with_another_key_does_not_match()
    {
        var j = Judge(Chain(P.SelfSigned), P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.NoMatchingRecord, j.Reason);
        Assert.Null(j.Match);
    }

    [Fact]
    public void DaneEe_matching_an_issuer_instead_of_the_leaf_does_not_authenticate()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate), P.Intermediate.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.NoMatchingRecord, j.Reason);
    }

    [Fact]
    public void Any_one_matching_record_authenticates_and_is_reported()
    {
        var good = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var bad = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var j = Judge(Chain(P.SelfSigned), bad, good);

        Assert.Equal(good, j.Match!.Record);
    }

    [Fact]
    public void Unusable_records_never_match_even_with_the_right_data()
    {
        var pkixEe = new TlsaRecord(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256).Data);

        Assert.Equal(HostReason.NoMatchingRecord, Judge(Chain(P.SelfSigned), pkixEe).Reason);
    }

    [Fact]
    public void No_certificate_presented()
    {
        Assert.Equal(HostReason.NoCertificatePresented, Judge([], P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
    }

    // ---- Digest agility (RFC 7671 §9).

    [Fact]
    public void A_key_matching_only_the_weaker_digest_does_not_authenticate()
    {
        var weak = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var strongOther = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_512);

        var j = Judge(Chain(P.SelfSigned), weak, strongOther);

        Assert.Equal(HostReason.NoMatchingRecord, j.Reason);
        Assert.Contains("digest agility", j.Detail, StringComparison.Ordinal);
        Assert.False(j.Authenticated);
    }

    [Fact]
    public void The_weaker_digest_counts_when_the_stronger_is_for_another_selector()
    {
        var weak = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var strongOtherSelector = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_512);

        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(P.SelfSigned), weak, strongOtherSelector).Reason);
    }

    [Fact]
    public void The_weaker_digest_counts_when_the_stronger_is_for_another_usage()
    {
        var weak = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var strongTa = P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_512);

        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(P.SelfSigned), weak, strongTa).Reason);
    }

    [Fact]
    public void Full_records_count_beside_a_stronger_digest()
    {
        var full = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Full);
        var strongOther = P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_512);

        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(P.SelfSigned), full, strongOther).Reason);
    }

    [Fact]
    public void A_broken_stronger_digest_does_not_discard_a_good_weaker_one()
    {
        var weak = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var broken = Raw(3, 1, 2, 32); // SHA2-512 with 32 bytes: unusable

        Assert.Equal(HostReason.DaneEeMatched, Judge(Chain(P.SelfSigned), weak, broken).Reason);
    }

    // ---- DANE-TA(2).

    [Theory]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Sha2_256)]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Sha2_512)]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Full)]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Sha2_256)]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Full)]
    public void DaneTa_on_the_root_authenticates_at_depth_2(TlsaSelector selector, TlsaMatchingType matching)
    {
        var record = P.Root.Tlsa(TlsaUsage.DaneTa, selector, matching);

        var j = Judge(Chain(P.Leaf, P.Intermediate, P.Root), record);

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(2, j.Match!.Depth);
        Assert.Equal(2, j.Match.ChainIndex);
        Assert.Equal("mx.example.net", j.Match.MatchedName);
    }

    [Fact]
    public void DaneTa_on_the_intermediate_authenticates_at_depth_1()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate, P.Root), P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(1, j.Match!.Depth);
    }

    [Fact]
    public void DaneTa_accepts_a_chain_sent_out_of_order()
    {
        var j = Judge(Chain(P.Leaf, P.Root, P.Intermediate), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(2, j.Match!.Depth);
        Assert.Equal(1, j.Match.ChainIndex);
    }

    [Fact]
    public void DaneTa_matching_only_the_leaf_does_not_authenticate()
    {
        var j = Judge(Chain(P.SelfSigned), P.SelfSigned.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.False(j.Authenticated);
        Assert.Equal(HostReason.NoMatchingRecord, j.Reason);
    }

    [Fact]
    public void DaneTa_with_an_rsa_hierarchy()
    {
        var root = TestPki.Ca("RSA Root", options: new TestPki.CaOptions { Key = KeyKind.Rsa2048 });
        var leaf = TestPki.Leaf(root, "mx.example.net", ["mx.example.net"], KeyKind.Rsa2048);

        var j = Judge(Chain(leaf, root), root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_512));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(1, j.Match!.Depth);
    }

    [Fact]
    public void DaneTa_name_mismatch()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "wrong.example.org", ["wrong.example.org"]);

        var j = Judge(Chain(leaf, P.Intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.NameMismatch, j.Reason);
        Assert.Null(j.Match);
    }

    [Fact]
    public void DaneTa_expired_leaf()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "mx.example.net", ["mx.example.net"], notBefore: Now.AddYears(-2), notAfter: Now.AddDays(-1));

        var j = Judge(Chain(leaf, P.Intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.CertificateExpired, j.Reason);
    }

    [Fact]
    public void DaneTa_not_yet_valid_leaf()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "mx.example.net", ["mx.example.net"], notBefore: Now.AddDays(1), notAfter: Now.AddYears(1));

        var j = Judge(Chain(leaf, P.Intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.CertificateNotYetValid, j.Reason);
    }

    [Fact]
    public void DaneTa_expired_intermediate()
    {
        var intermediate = TestPki.Ca("Expired Intermediate", P.Root, new TestPki.CaOptions { NotBefore = Now.AddYears(-2), NotAfter = Now.AddDays(-1) });
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        var j = Judge(Chain(leaf, intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.CertificateExpired, j.Reason);
    }

    // OpenSSL 3 (Postfix's DANE verifier), measured with `openssl s_client -dane_tlsa_rrdata`: the dates of an
    // intermediate trust anchor are not checked, those of a self-signed one are; CA rights and the TLS server
    // purpose are checked on every certificate of the path, the anchor included.

    [Theory]
    [InlineData("expired")]
    [InlineData("not yet valid")]
    public void DaneTa_dates_of_an_intermediate_anchor_are_not_checked(string situation)
    {
        var options = situation == "expired"
            ? new TestPki.CaOptions { NotBefore = Now.AddYears(-2), NotAfter = Now.AddDays(-1) }
            : new TestPki.CaOptions { NotBefore = Now.AddDays(1), NotAfter = Now.AddYears(1) };
        var intermediate = TestPki.Ca("Anchor " + situation, P.Root, options);
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        var j = Judge(Chain(leaf, intermediate), intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
    }

    [Fact]
    public void DaneTa_dates_of_a_self_signed_anchor_are_checked()
    {
        var root = TestPki.Ca("Expired Root", options: new TestPki.CaOptions { NotBefore = Now.AddYears(-2), NotAfter = Now.AddDays(-1) });
        var intermediate = TestPki.Ca("Intermediate under an expired root", root);
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        Assert.Equal(HostReason.CertificateExpired, Judge(Chain(leaf, intermediate, root), root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
        Assert.Equal(HostReason.DaneTaMatched, Judge(Chain(leaf, intermediate, root), intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
    }

    [Theory]
    [InlineData("not a CA")]
    [InlineData("key usage without keyCertSign")]
    public void DaneTa_anchor_without_CA_rights_is_an_invalid_chain(string why)
    {
        var options = why == "not a CA"
            ? new TestPki.CaOptions { IsCa = false }
            : new TestPki.CaOptions { KeyUsage = X509KeyUsageFlags.DigitalSignature };
        var intermediate = TestPki.Ca("Anchor " + why, P.Root, options);
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        Assert.Equal(HostReason.ChainInvalid, Judge(Chain(leaf, intermediate), intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
    }

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string AnyEku = "2.5.29.37.0";

    [Theory]
    [InlineData("leaf eku serverAuth", true)]
    [InlineData("leaf eku any", true)]
    [InlineData("leaf eku clientAuth only", false)]
    [InlineData("leaf key usage keyCertSign only", false)]
    [InlineData("leaf key usage keyAgreement", true)]
    [InlineData("intermediate eku clientAuth only", false)]
    [InlineData("intermediate eku serverAuth", true)]
    public void DaneTa_path_must_allow_a_tls_server(string situation, bool authenticates)
    {
        var intermediate = situation.StartsWith("intermediate", StringComparison.Ordinal)
            ? TestPki.Ca(situation, P.Root, new TestPki.CaOptions { ExtendedKeyUsages = [situation.EndsWith("clientAuth only", StringComparison.Ordinal) ? ClientAuth : ServerAuth] })
            : P.Intermediate;
        var leaf = situation switch
        {
            "leaf eku serverAuth" => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"], extendedKeyUsages: [ServerAuth]),
            "leaf eku any" => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"], extendedKeyUsages: [AnyEku]),
            "leaf eku clientAuth only" => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"], extendedKeyUsages: [ClientAuth]),
            "leaf key usage keyCertSign only" => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"], keyUsage: X509KeyUsageFlags.KeyCertSign),
            "leaf key usage keyAgreement" => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"], keyUsage: X509KeyUsageFlags.KeyAgreement),
            _ => TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]),
        };

        var ta = Judge(Chain(leaf, intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));
        var ee = Judge(Chain(leaf, intermediate, P.Root), leaf.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(authenticates ? HostReason.DaneTaMatched : HostReason.ChainInvalid, ta.Reason);
        Assert.Equal(HostReason.DaneEeMatched, ee.Reason);
    }

    [Fact]
    public void DaneTa_validity_is_checked_at_the_probe_time_not_now()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "mx.example.net", ["mx.example.net"]);
        var record = P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        Assert.Equal(HostReason.DaneTaMatched, DaneMatcher.Judge(Chain(leaf, P.Intermediate, P.Root), [record], Refs, Now).Reason);
        Assert.Equal(HostReason.CertificateExpired, DaneMatcher.Judge(Chain(leaf, P.Intermediate, P.Root), [record], Refs, ValidTo.AddDays(1)).Reason);
    }

    [Theory]
    [InlineData("not a CA")]
    [InlineData("key usage without keyCertSign")]
    public void DaneTa_issuer_without_CA_rights_is_an_invalid_chain(string why)
    {
        var options = why == "not a CA"
            ? new TestPki.CaOptions { IsCa = false }
            : new TestPki.CaOptions { KeyUsage = X509KeyUsageFlags.DigitalSignature };
        var intermediate = TestPki.Ca("Bad Intermediate " + why, P.Root, options);
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        var j = Judge(Chain(leaf, intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.ChainInvalid, j.Reason);
    }

    [Fact]
    public void DaneTa_path_length_constraint_is_enforced()
    {
        var root = TestPki.Ca("Root pathlen 0", options: new TestPki.CaOptions { PathLength = 0 });
        var intermediate = TestPki.Ca("Intermediate under pathlen 0", root);
        var leaf = TestPki.Leaf(intermediate, "mx.example.net", ["mx.example.net"]);

        Assert.Equal(HostReason.ChainInvalid, Judge(Chain(leaf, intermediate, root), root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
        Assert.Equal(HostReason.DaneTaMatched, Judge(Chain(leaf, intermediate, root), intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
    }

    [Fact]
    public void DaneTa_with_the_intermediate_missing_is_an_incomplete_chain()
    {
        var j = Judge(Chain(P.Leaf, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.ChainIncomplete, j.Reason);
    }

    [Fact]
    public void DaneTa_digest_with_only_the_leaf_sent_is_an_incomplete_chain()
    {
        var j = Judge(Chain(P.Leaf), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.ChainIncomplete, j.Reason);
    }

    [Fact]
    public void DaneTa_full_certificate_from_dns_serves_when_not_sent()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Null(j.Match!.ChainIndex);
        Assert.Equal(2, j.Match.Depth);
    }

    [Fact]
    public void DaneTa_full_key_from_dns_serves_when_it_signed_the_top_certificate()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Full));

        // Reported as OpenSSL and Postfix do: at the depth of the certificate the key verified (posttls-finger:
        // "Matched DANE TA public key verified certificate at depth 1"); the key itself sits one above.
        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Null(j.Match!.ChainIndex);
        Assert.Equal(1, j.Match.Depth);
        Assert.Equal(2, j.Match.AnchorDepth);
    }

    [Fact]
    public void DaneTa_full_key_from_dns_that_signed_a_lone_leaf_is_reported_at_depth_0()
    {
        var j = Judge(Chain(P.Leaf), P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Full));

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal(0, j.Match!.Depth);
        Assert.Equal(1, j.Match.AnchorDepth);
    }

    [Fact]
    public void Presented_anchors_and_whole_certificates_from_dns_report_one_depth_for_both_conventions()
    {
        var sent = Judge(Chain(P.Leaf, P.Intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Full));
        var fromDns = Judge(Chain(P.Leaf, P.Intermediate), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full));
        var ee = Judge(Chain(P.SelfSigned), P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal((2, 2), (sent.Match!.Depth, sent.Match.AnchorDepth));
        Assert.Equal((2, 2), (fromDns.Match!.Depth, fromDns.Match.AnchorDepth));
        Assert.Equal((0, 0), (ee.Match!.Depth, ee.Match.AnchorDepth));
    }

    [Fact]
    public void DaneTa_full_key_from_dns_that_signed_nothing_does_not_authenticate()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate), P.Other.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Full));

        Assert.False(j.Authenticated);
    }

    [Fact]
    public void DaneTa_digest_of_a_root_not_sent_is_an_incomplete_chain()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.False(j.Authenticated);
        Assert.Equal(HostReason.ChainIncomplete, j.Reason);
    }

    [Fact]
    public void DaneTa_digest_matching_nothing_in_a_chain_up_to_its_root_is_no_match()
    {
        var j = Judge(Chain(P.Leaf, P.Intermediate, P.Root), P.Other.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.NoMatchingRecord, j.Reason);
    }

    [Fact]
    public void DaneTa_rejects_a_leaf_whose_signature_does_not_verify()
    {
        var forged = TestPki.ForgedLeaf(P.Intermediate, "mx.example.net");

        var j = Judge(Chain(forged, P.Intermediate, P.Root), P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.False(j.Authenticated);
        Assert.Equal(HostReason.ChainIncomplete, j.Reason);
    }

    // ---- DANE-TA name checks (RFC 7672 §3.2, RFC 6125).

    public static TheoryData<string?, string[], string, bool> NameCases() => new()
    {
        { "mx.example.net", new[] { "mx.example.net" }, "mx.example.net", true },
        { "mx.example.net", new[] { "MX.Example.NET" }, "mx.example.net", true },
        { "mx.example.net", new[] { "mx.example.net." }, "mx.example.net", true },
        { "mx.example.net", new[] { "mx.example.net" }, "MX.EXAMPLE.NET.", true },
        { "x", new[] { "*.example.net" }, "mx.example.net", true },
        { "x", new[] { "*.example.net" }, "a.mx.example.net", false },
        { "x", new[] { "*.example.net" }, "example.net", false },
        { "x", new[] { "m*.example.net" }, "mx.example.net", false },
        { "x", new[] { "*x.example.net" }, "mx.example.net", false },
        { "x", new[] { "mx.*.net" }, "mx.example.net", false },
        { "x", new[] { "*.net" }, "example.net", false },
        { "mx.example.net", Array.Empty<string>(), "mx.example.net", true },
        { "MX.EXAMPLE.NET", Array.Empty<string>(), "mx.example.net", true },
        { "mx.example.net", new[] { "other.example.net" }, "mx.example.net", false },
        { "other.example.net", Array.Empty<string>(), "mx.example.net", false },
        { null, Array.Empty<string>(), "mx.example.net", false },
        { "x", new[] { "other.example.net", "mx.example.net" }, "mx.example.net", true },
    };

    [Theory]
    [MemberData(nameof(NameCases))]
    public void DaneTa_name_check(string? cn, string[] sans, string reference, bool expected)
    {
        var leaf = TestPki.Leaf(P.Intermediate, cn, sans);

        var j = DaneMatcher.Judge(Chain(leaf, P.Intermediate), [P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)], [reference], Now);

        Assert.Equal(expected ? HostReason.DaneTaMatched : HostReason.NameMismatch, j.Reason);
    }

    [Fact]
    public void Reference_identifiers_are_the_tlsa_base_the_mx_host_and_the_destination_domain()
    {
        Assert.Equal(["mx.cname-target.net", "mx.example.net", "example.com"], DaneMatcher.ReferenceIdentifiers("mx.cname-target.net.", "MX.example.net", "example.com"));
        Assert.Equal(["mx.example.net", "example.com"], DaneMatcher.ReferenceIdentifiers("mx.example.net", "mx.example.net", "Example.COM."));
    }

    [Fact]
    public void DaneTa_leaf_named_only_for_the_destination_domain_matches_and_names_it()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "example.com", ["example.com"]);
        var record = P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var j = DaneMatcher.Judge(Chain(leaf, P.Intermediate), [record], DaneMatcher.ReferenceIdentifiers("mx.example.net", "mx.example.net", "example.com"), Now);

        Assert.Equal(HostReason.DaneTaMatched, j.Reason);
        Assert.Equal("example.com", j.Match!.MatchedName);
    }

    [Fact]
    public void DaneTa_leaf_named_for_another_domain_is_a_name_mismatch()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "example.org", ["example.org"]);
        var record = P.Intermediate.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var j = DaneMatcher.Judge(Chain(leaf, P.Intermediate), [record], DaneMatcher.ReferenceIdentifiers("mx.example.net", "mx.example.net", "example.com"), Now);

        Assert.Equal(HostReason.NameMismatch, j.Reason);
    }

    [Fact]
    public void A_hostile_mesh_of_cross_signed_certificates_is_cut_off_by_the_signature_budget()
    {
        // Four keys, and for every (key, signer) pair a certificate named X issued by X: from any of them,
        // four issuers verify, so the paths from the leaf grow as 4^depth. The anchor is sent but unreachable.
        var keys = Enumerable.Range(0, 4).Select(_ => (System.Security.Cryptography.ECDsa)TestPki.NewKey(KeyKind.EcdsaP256)).ToList();
        var name = new X500DistinguishedName("CN=X");
        var mesh = new List<byte[]>();
        foreach (var subjectKey in keys)
        {
            foreach (var signer in keys)
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(name, subjectKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
                using var cert = request.Create(name, X509SignatureGenerator.CreateForECDsa(signer), ValidFrom, ValidTo, [(byte)mesh.Count, 1]);
                mesh.Add(cert.RawData);
            }
        }

        var leafRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            new X500DistinguishedName("CN=mx.example.net"), (System.Security.Cryptography.ECDsa)TestPki.NewKey(KeyKind.EcdsaP256), System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(name, X509SignatureGenerator.CreateForECDsa(keys[0]), ValidFrom, ValidTo, [9, 9]);
        var unreachable = TestPki.Ca("Unreachable anchor");

        var j = Judge([leaf.RawData, .. mesh, unreachable.Der], unreachable.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256));

        Assert.Equal(HostReason.ChainInvalid, j.Reason);
        // The budget: the fixed part plus two checks per certificate sent (leaf, 16 mesh certificates, anchor).
        Assert.Contains($"{DaneMatcher.SignatureCheckBudget + (2 * (mesh.Count + 2))} signature checks", j.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_instead_of_a_certificate_is_judged_not_thrown()
    {
        byte[] garbage = [0x30, 0x03, 0x02, 0x01, 0x01];

        Assert.Equal(HostReason.NoMatchingRecord, Judge([garbage], P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
        Assert.Equal(HostReason.ChainInvalid, Judge([garbage, P.Root.Der], P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)).Reason);
    }
}
