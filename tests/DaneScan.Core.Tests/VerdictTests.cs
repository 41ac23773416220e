using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>docs/dane-rules.md §1, §2, §3, §5, §7: verdicts per address, host and domain.</summary>
public class VerdictTests
{
    private static readonly Pki P = Pki.Shared;
    private const string Mx = "mx.example.net";
    private const string Ip = "127.0.0.10";

    private static TlsaRecord Ee => P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static TlsaRecord Ta => P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static HostVerdict One(DomainObservation dns, params ProbeObservation[] probes) =>
        Assert.Single(DaneJudge.Judge(dns, probes).Hosts);

    // ---- §1 the MX RRset.

    public static TheoryData<DnsOutcome, DenialKind, string[], MxStatus> MxCases() => new()
    {
        { DnsOutcome.SecureAnswer, DenialKind.None, new[] { "mx.example.net" }, MxStatus.MxHosts },
        { DnsOutcome.InsecureAnswer, DenialKind.None, new[] { "mx.example.net" }, MxStatus.MxHosts },
        { DnsOutcome.SecureDenial, DenialKind.NoData, Array.Empty<string>(), MxStatus.ImplicitMx },
        { DnsOutcome.InsecureDenial, DenialKind.NoData, Array.Empty<string>(), MxStatus.ImplicitMx },
        { DnsOutcome.SecureDenial, DenialKind.NxDomain, Array.Empty<string>(), MxStatus.NxDomain },
        { DnsOutcome.InsecureDenial, DenialKind.NxDomain, Array.Empty<string>(), MxStatus.NxDomain },
        { DnsOutcome.SecureAnswer, DenialKind.None, new[] { "." }, MxStatus.NullMx },
        { DnsOutcome.SecureAnswer, DenialKind.None, new[] { ".", "mx.example.net" }, MxStatus.NullMxMixed },
        { DnsOutcome.Bogus, DenialKind.None, Array.Empty<string>(), MxStatus.MxBogus },
        { DnsOutcome.LookupFailure, DenialKind.None, Array.Empty<string>(), MxStatus.MxLookupFailed },
    };

    [Theory]
    [MemberData(nameof(MxCases))]
    public void Mx_status(DnsOutcome outcome, DenialKind denial, string[] exchanges, MxStatus expected)
    {
        var mx = new RrsetObservation<MxRecord>("example.com", "MX", outcome, denial, [.. exchanges.Select(e => new MxRecord(e == "." ? (ushort)0 : (ushort)10, DnsName.Unchecked(e)))], 300, []);

        Assert.Equal(expected, DaneJudge.MxStatusOf(mx));
    }

    [Theory]
    [InlineData(DnsOutcome.Bogus, MxStatus.MxBogus)]
    [InlineData(DnsOutcome.LookupFailure, MxStatus.MxLookupFailed)]
    public void Mx_failure_judges_no_host_and_is_not_applicable(DnsOutcome outcome, MxStatus status)
    {
        var dns = Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))) with { Mx = Failed<MxRecord>("example.com", "MX", outcome) };

        var v = DaneJudge.Judge(dns, [Tls(Mx, Ip, P.SelfSigned)]);

        Assert.Equal(status, v.MxStatus);
        Assert.Empty(v.Hosts);
        Assert.Equal(DomainDaneStatus.NotApplicable, v.Primary);
        Assert.Equal(DomainDaneStatus.NotApplicable, v.All);
    }

    [Fact]
    public void Null_mx_judges_no_host()
    {
        var dns = Domain("example.com", true) with { Mx = Answer("example.com", "MX", true, new MxRecord(0, DnsName.Unchecked("."))) };

        var v = DaneJudge.Judge(dns, []);

        Assert.Equal(MxStatus.NullMx, v.MxStatus);
        Assert.Equal(DomainDaneStatus.NotApplicable, v.All);
    }

    [Fact]
    public void Null_mx_beside_other_hosts_judges_the_other_hosts()
    {
        var dns = Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))) with
        {
            Mx = Answer("example.com", "MX", true, new MxRecord(0, DnsName.Unchecked(".")), new MxRecord(10, DnsName.Unchecked(Mx))),
        };

        var v = DaneJudge.Judge(dns, [Tls(Mx, Ip, P.SelfSigned)]);

        Assert.Equal(MxStatus.NullMxMixed, v.MxStatus);
        Assert.Equal(DomainDaneStatus.Protected, v.All);
    }

    [Fact]
    public void Implicit_mx_judges_the_domain_itself_with_its_own_name_as_base()
    {
        var host = Host("example.com", Tlsa("example.com", Ee)) with { Implicit = true, Preference = 0 };
        var dns = Domain("example.com", true, host) with { Mx = Denied<MxRecord>("example.com", "MX", true) };

        var v = DaneJudge.Judge(dns, [Tls("example.com", Ip, P.SelfSigned)]);

        Assert.Equal(MxStatus.ImplicitMx, v.MxStatus);
        Assert.True(v.MxSecure);
        var h = Assert.Single(v.Hosts);
        Assert.Equal("example.com", h.TlsaBase);
        Assert.True(h.Implicit);
        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
    }

    [Fact]
    public void Insecure_mx_with_authenticated_host_is_trusted_not_verified()
    {
        var secure = DaneJudge.Judge(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))), [Tls(Mx, Ip, P.SelfSigned)]);
        var insecure = DaneJudge.Judge(Domain("example.com", false, Host(Mx, Tlsa(Mx, Ee))), [Tls(Mx, Ip, P.SelfSigned)]);

        Assert.True(secure.MxSecure);
        Assert.Equal(TlsTrust.Verified, secure.Hosts[0].Trust);
        Assert.False(insecure.MxSecure);
        Assert.Equal(TlsTrust.Trusted, insecure.Hosts[0].Trust);
        Assert.Equal(HostOutcome.Authenticated, insecure.Hosts[0].Outcome);
    }

    [Theory]
    [InlineData(true, TlsTrust.Verified)]
    [InlineData(false, TlsTrust.Trusted)]
    public void DaneTa_leaf_named_for_the_destination_domain_authenticates_with_either_mx_security(bool mxSecure, TlsTrust trust)
    {
        // Postfix accepts the next-hop domain as a DANE-TA reference identifier whether or not the MX RRset is
        // secure (docs/postfix-agreement.md, ta-name-insecure-mx); only the trust level differs.
        var leaf = TestPki.Leaf(P.Intermediate, "example.com", ["example.com"]);
        var v = DaneJudge.Judge(Domain("example.com", mxSecure, Host(Mx, Tlsa(Mx, Ta))), [Tls(Mx, Ip, leaf, P.Intermediate, P.Root)]);

        var h = Assert.Single(v.Hosts);
        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal(HostReason.DaneTaMatched, h.Reason);
        Assert.Equal("example.com", h.Match!.MatchedName);
        Assert.Contains("example.com", h.ReferenceIdentifiers);
        Assert.Equal(trust, h.Trust);
    }

    // ---- §2, §3 the host's DNS.

    public static TheoryData<string, HostOutcome, HostReason, Rfc8460ResultType> HostDnsCases() => new()
    {
        { "address bogus", HostOutcome.AddressLookupFailed, HostReason.AddressBogus, Rfc8460ResultType.DnssecInvalid },
        { "address failure", HostOutcome.AddressLookupFailed, HostReason.AddressLookupFailure, Rfc8460ResultType.None },
        { "both bogus", HostOutcome.AddressLookupFailed, HostReason.AddressBogus, Rfc8460ResultType.DnssecInvalid },
        { "a failure, aaaa denied", HostOutcome.AddressLookupFailed, HostReason.AddressLookupFailure, Rfc8460ResultType.None },
        { "a insecure, aaaa bogus", HostOutcome.NotDane, HostReason.HostInsecure, Rfc8460ResultType.None },
        { "address insecure", HostOutcome.NotDane, HostReason.HostInsecure, Rfc8460ResultType.None },
        { "no addresses", HostOutcome.NoAddresses, HostReason.NoAddressRecords, Rfc8460ResultType.None },
        { "nxdomain host", HostOutcome.NoAddresses, HostReason.NoAddressRecords, Rfc8460ResultType.None },
        { "tlsa bogus", HostOutcome.TlsaLookupFailed, HostReason.TlsaBogus, Rfc8460ResultType.DnssecInvalid },
        { "tlsa failure", HostOutcome.TlsaLookupFailed, HostReason.TlsaLookupFailure, Rfc8460ResultType.DnssecInvalid },
        { "tlsa not queried", HostOutcome.TlsaLookupFailed, HostReason.TlsaNotQueried, Rfc8460ResultType.None },
        { "tlsa secure denial", HostOutcome.NotDane, HostReason.TlsaSecureDenial, Rfc8460ResultType.None },
        { "tlsa insecure answer", HostOutcome.NotDane, HostReason.TlsaInsecure, Rfc8460ResultType.None },
        { "tlsa insecure denial", HostOutcome.NotDane, HostReason.TlsaInsecure, Rfc8460ResultType.None },
    };

    [Theory]
    [MemberData(nameof(HostDnsCases))]
    public void Host_dns_outcomes(string situation, HostOutcome outcome, HostReason reason, Rfc8460ResultType resultType)
    {
        var host = Host(Mx, Tlsa(Mx, Ee));
        host = situation switch
        {
            "address bogus" => host with { A = Failed<string>(Mx, "A", DnsOutcome.Bogus) },
            "address failure" => host with { A = Failed<string>(Mx, "A", DnsOutcome.LookupFailure) },
            "both bogus" => host with { A = Failed<string>(Mx, "A", DnsOutcome.Bogus), Aaaa = Failed<string>(Mx, "AAAA", DnsOutcome.Bogus) },
            "a failure, aaaa denied" => host with { A = Failed<string>(Mx, "A", DnsOutcome.LookupFailure) },
            "a insecure, aaaa bogus" => host with { A = Answer(Mx, "A", false, Ip), Aaaa = Failed<string>(Mx, "AAAA", DnsOutcome.Bogus) },
            "address insecure" => Host(Mx, null, secureAddress: false),
            "no addresses" => host with { A = Denied<string>(Mx, "A", true), TlsaLookups = [] },
            "nxdomain host" => host with { A = Denied<string>(Mx, "A", true, DenialKind.NxDomain), Aaaa = Denied<string>(Mx, "AAAA", true, DenialKind.NxDomain), TlsaLookups = [] },
            "tlsa bogus" => host with { TlsaLookups = [Failed<TlsaRecord>("_25._tcp." + Mx, "TLSA", DnsOutcome.Bogus)] },
            "tlsa failure" => host with { TlsaLookups = [Failed<TlsaRecord>("_25._tcp." + Mx, "TLSA", DnsOutcome.LookupFailure)] },
            "tlsa not queried" => host with { TlsaLookups = [] },
            "tlsa secure denial" => host with { TlsaLookups = [Denied<TlsaRecord>("_25._tcp." + Mx, "TLSA", true)] },
            "tlsa insecure answer" => host with { TlsaLookups = [Answer("_25._tcp." + Mx, "TLSA", false, Ee)] },
            "tlsa insecure denial" => host with { TlsaLookups = [Denied<TlsaRecord>("_25._tcp." + Mx, "TLSA", false)] },
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };

        // The probe would authenticate: the DNS decides first.
        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned));

        Assert.Equal(outcome, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Equal(resultType, h.ResultType);
        Assert.Null(h.Match);
        Assert.Equal(TlsTrust.None, h.Trust);
        Assert.All(h.Addresses, a => Assert.Equal(outcome, a.Outcome));
    }

    [Theory]
    [InlineData(DnsOutcome.Bogus)]
    [InlineData(DnsOutcome.LookupFailure)]
    public void A_failed_lookup_of_one_family_does_not_hide_the_secure_other(DnsOutcome aaaa)
    {
        var host = Host(Mx, Tlsa(Mx, Ee)) with { Aaaa = Failed<string>(Mx, "AAAA", aaaa) };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal(Ip, Assert.Single(h.Addresses).Address);
    }

    [Fact]
    public void Tlsa_base_follows_the_last_lookup_after_a_secure_denial_at_the_cname_target()
    {
        var host = Host(Mx, null) with
        {
            TlsaLookups = [Denied<TlsaRecord>("_25._tcp.target.example.org", "TLSA", true), Tlsa(Mx, Ee)],
            TlsaBase = Mx,
        };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal(Mx, h.TlsaBase);
    }

    [Theory]
    [InlineData(DnsOutcome.Bogus, HostReason.TlsaBogus)]
    [InlineData(DnsOutcome.LookupFailure, HostReason.TlsaLookupFailure)]
    public void A_failed_tlsa_lookup_at_the_cname_target_does_not_fall_back(DnsOutcome outcome, HostReason reason)
    {
        var host = Host(Mx, null) with
        {
            TlsaLookups = [Failed<TlsaRecord>("_25._tcp.target.example.org", "TLSA", outcome)],
            TlsaBase = "target.example.org",
        };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned));

        Assert.Equal(HostOutcome.TlsaLookupFailed, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Equal("target.example.org", h.TlsaBase);
    }

    [Fact]
    public void Tlsa_at_the_cname_target_makes_it_a_reference_identifier()
    {
        var leaf = TestPki.Leaf(P.Intermediate, "target.example.org", ["target.example.org"]);
        var host = Host(Mx, null) with
        {
            TlsaLookups = [Tlsa("target.example.org", Ta)],
            TlsaBase = "target.example.org",
        };

        var h = One(Domain("example.com", false, host), Tls(Mx, Ip, leaf, P.Intermediate, P.Root));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal("target.example.org", h.Match!.MatchedName);
        Assert.Equal(["target.example.org", Mx, "example.com"], h.ReferenceIdentifiers);
    }

    // ---- §4, §5 usability and STARTTLS with a secure TLSA RRset.

    [Fact]
    public void Secure_tlsa_with_no_usable_record_is_encrypt_only()
    {
        var pkix = new TlsaRecord(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, Ee.Data);

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, pkix))), Tls(Mx, Ip, P.Other));

        Assert.Equal(HostOutcome.EncryptOnly, h.Outcome);
        Assert.Equal(HostReason.NoUsableRecords, h.Reason);
        Assert.Equal(TlsTrust.Untrusted, h.Trust);
        Assert.Equal(TlsaUsability.PkixUsage, Assert.Single(h.Tlsa).Usability);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Starttls_is_mandatory_with_secure_tlsa_usable_or_not(bool usable)
    {
        var record = usable ? Ee : TestPki.Raw(3, 1, 1, 20);

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, record))), Failure(Mx, Ip, ProbeOutcome.StartTlsNotOffered, ProbeStage.Ehlo));

        Assert.Equal(HostOutcome.NoStartTls, h.Outcome);
        Assert.Equal(HostReason.StartTlsNotOffered, h.Reason);
        Assert.Equal(Rfc8460ResultType.StartTlsNotSupported, h.ResultType);
    }

    [Fact]
    public void Without_dane_a_missing_starttls_is_not_a_failure()
    {
        var h = One(Domain("example.com", true, Host(Mx, Denied<TlsaRecord>("_25._tcp." + Mx, "TLSA", true))), Failure(Mx, Ip, ProbeOutcome.StartTlsNotOffered, ProbeStage.Ehlo));

        Assert.Equal(HostOutcome.NotDane, h.Outcome);
    }

    public static TheoryData<ProbeOutcome, ProbeStage?, HostOutcome, HostReason, Rfc8460ResultType> ProbeCases() => new()
    {
        { ProbeOutcome.Unreachable, ProbeStage.Connect, HostOutcome.Unreachable, HostReason.ConnectFailed, Rfc8460ResultType.None },
        { ProbeOutcome.Timeout, ProbeStage.Banner, HostOutcome.Unreachable, HostReason.Timeout, Rfc8460ResultType.None },
        { ProbeOutcome.Timeout, ProbeStage.TlsHandshake, HostOutcome.HandshakeFailed, HostReason.Timeout, Rfc8460ResultType.None },
        { ProbeOutcome.ProtocolError, ProbeStage.Ehlo, HostOutcome.Unreachable, HostReason.SmtpProtocolError, Rfc8460ResultType.None },
        { ProbeOutcome.ServiceRefused, ProbeStage.Banner, HostOutcome.Unreachable, HostReason.ServiceRefused, Rfc8460ResultType.None },
        { ProbeOutcome.StartTlsNotOffered, ProbeStage.Ehlo, HostOutcome.NoStartTls, HostReason.StartTlsNotOffered, Rfc8460ResultType.StartTlsNotSupported },
        { ProbeOutcome.StartTlsRejected, ProbeStage.StartTls, HostOutcome.NoStartTls, HostReason.StartTlsRejected, Rfc8460ResultType.StartTlsNotSupported },
        { ProbeOutcome.TlsHandshakeFailed, ProbeStage.TlsHandshake, HostOutcome.HandshakeFailed, HostReason.TlsHandshakeFailed, Rfc8460ResultType.ValidationFailure },
        { ProbeOutcome.NotProbed, null, HostOutcome.NotProbed, HostReason.NotProbedByPolicy, Rfc8460ResultType.None },
    };

    [Theory]
    [MemberData(nameof(ProbeCases))]
    public void Probe_failures_with_dane(ProbeOutcome probeOutcome, ProbeStage? stage, HostOutcome outcome, HostReason reason, Rfc8460ResultType resultType)
    {
        var probe = Failure(Mx, Ip, probeOutcome, stage ?? ProbeStage.Connect) with { FailedStage = stage };

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))), probe);

        Assert.Equal(outcome, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Equal(resultType, h.ResultType);
        Assert.Equal(probeOutcome, Assert.Single(h.Addresses).ProbeOutcome);
    }

    // ---- The session after the handshake (docs/dane-rules.md §5: EHLO again after TLS). A session that cannot carry
    // EHLO delivers nothing: never Authenticated or Protected (docs/output.md, "The session after the handshake").

    public static TheoryData<string, HostOutcome, HostReason, DomainDaneStatus> SessionFailures() => new()
    {
        // chain, host outcome, reason, domain status
        { "matching", HostOutcome.Unreachable, HostReason.TlsSessionFailed, DomainDaneStatus.Failing },
        { "other", HostOutcome.AuthenticationFailed, HostReason.NoMatchingRecord, DomainDaneStatus.Failing },
        { "encrypt-only", HostOutcome.Unreachable, HostReason.TlsSessionFailed, DomainDaneStatus.Failing },
    };

    [Theory]
    [MemberData(nameof(SessionFailures))]
    public void A_tls_session_that_cannot_carry_ehlo_is_a_failure(string chain, HostOutcome outcome, HostReason reason, DomainDaneStatus status)
    {
        TlsaRecord[] tlsa = chain == "encrypt-only" ? [TestPki.Raw(1, 1, 1, 32)] : [Ee];
        var probe = Tls(Mx, Ip, chain == "other" ? P.Other : P.SelfSigned) with
        {
            Outcome = ProbeOutcome.TlsSessionFailed,
            FailedStage = ProbeStage.EhloAfterTls,
            EhloAfterTlsOk = false,
            Detail = "EHLO after TLS failed (ProtocolError): connection reset",
        };
        var dns = Domain("example.com", true, Host(Mx, Tlsa(Mx, tlsa)));

        var verdict = DaneJudge.Judge(dns, [probe]);

        var h = Assert.Single(verdict.Hosts);
        Assert.Equal(outcome, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Null(h.Match);
        Assert.Equal(status, verdict.All);
        Assert.Equal(ProbeOutcome.TlsSessionFailed, Assert.Single(h.Addresses).ProbeOutcome);
    }

    [Fact]
    public void An_older_observation_with_a_failed_ehlo_after_tls_is_judged_the_same()
    {
        // Before TlsSessionFailed existed the prober recorded TlsEstablished with EhloAfterTlsOk false.
        var probe = Tls(Mx, Ip, P.SelfSigned) with { EhloAfterTlsOk = false, Detail = "EHLO after TLS answered 554 no" };

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))), probe);

        Assert.Equal(HostOutcome.Unreachable, h.Outcome);
        Assert.Equal(HostReason.TlsSessionFailed, h.Reason);
        Assert.Contains("The chain authenticated", h.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_probe_outcome_lands_on_a_named_reason()
    {
        foreach (var o in Enum.GetValues<ProbeOutcome>().Where(o => o != ProbeOutcome.TlsEstablished))
        {
            var (outcome, reason) = DaneJudge.ProbeOutcomeVerdict(Failure(Mx, Ip, o, ProbeStage.Connect));
            Assert.NotEqual(HostOutcome.Authenticated, outcome);
            Assert.NotEqual(HostReason.None, reason);
        }
    }

    [Theory]
    [InlineData(ProbeSkipReason.OptedOut, HostReason.OptedOut)]
    [InlineData(ProbeSkipReason.ReservedAddress, HostReason.ReservedAddress)]
    [InlineData(ProbeSkipReason.Policy, HostReason.NotProbedByPolicy)]
    public void Not_probed_says_why(ProbeSkipReason skip, HostReason reason)
    {
        var probe = new ProbeObservation { Host = Mx, Address = Ip, Outcome = ProbeOutcome.NotProbed, SkipReason = skip };

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))), probe);

        Assert.Equal(HostOutcome.NotProbed, h.Outcome);
        Assert.Equal(reason, h.Reason);
    }

    [Fact]
    public void A_missing_probe_is_named()
    {
        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))));

        Assert.Equal(HostOutcome.NotProbed, h.Outcome);
        Assert.Equal(HostReason.ProbeMissing, h.Reason);
    }

    // ---- §6, §7 authentication through the verdict.

    [Fact]
    public void Dane_ee_authenticates_and_reports_record_and_depth()
    {
        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ta, Ee))), Tls(Mx, Ip, P.SelfSigned));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal(HostReason.DaneEeMatched, h.Reason);
        Assert.Equal(Ee, h.Match!.Record);
        Assert.Equal(0, h.Match.Depth);
        Assert.Equal(Rfc8460ResultType.None, h.ResultType);
    }

    [Fact]
    public void Dane_ta_authenticates_and_reports_record_and_depth()
    {
        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ta))), Tls(Mx, Ip, P.Leaf, P.Intermediate, P.Root));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.Equal(HostReason.DaneTaMatched, h.Reason);
        Assert.Equal(Ta, h.Match!.Record);
        Assert.Equal(2, h.Match.Depth);
    }

    public static TheoryData<string, HostReason, Rfc8460ResultType> AuthFailureCases() => new()
    {
        { "no match", HostReason.NoMatchingRecord, Rfc8460ResultType.TlsaInvalid },
        { "name mismatch", HostReason.NameMismatch, Rfc8460ResultType.CertificateHostMismatch },
        { "expired", HostReason.CertificateExpired, Rfc8460ResultType.CertificateExpired },
        { "chain incomplete", HostReason.ChainIncomplete, Rfc8460ResultType.CertificateNotTrusted },
        { "no certificate", HostReason.NoCertificatePresented, Rfc8460ResultType.ValidationFailure },
    };

    [Theory]
    [MemberData(nameof(AuthFailureCases))]
    public void Authentication_failures_say_why(string situation, HostReason reason, Rfc8460ResultType resultType)
    {
        var probe = situation switch
        {
            "no match" => Tls(Mx, Ip, P.Other),
            "name mismatch" => Tls(Mx, Ip, TestPki.Leaf(P.Intermediate, "wrong.example.org", ["wrong.example.org"]), P.Intermediate, P.Root),
            "expired" => Tls(Mx, Ip, TestPki.Leaf(P.Intermediate, Mx, [Mx], notBefore: TestPki.Now.AddYears(-1), notAfter: TestPki.Now.AddDays(-1)), P.Intermediate, P.Root),
            "chain incomplete" => Tls(Mx, Ip, P.Leaf, P.Root),
            "no certificate" => Tls(Mx, Ip),
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };

        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ta, P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)))), probe);

        Assert.Equal(HostOutcome.AuthenticationFailed, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Equal(resultType, h.ResultType);
        Assert.Equal(TlsTrust.None, h.Trust);
    }

    // ---- Per host: the worst address decides.

    [Fact]
    public void Host_with_one_failing_address_fails()
    {
        var host = Host(Mx, Tlsa(Mx, Ee)) with { Aaaa = Answer(Mx, "AAAA", true, "::1") };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned), Tls(Mx, "::1", P.Other));

        Assert.Equal(HostOutcome.AuthenticationFailed, h.Outcome);
        Assert.Equal(2, h.Addresses.Count);
        Assert.Equal(HostOutcome.Authenticated, h.Addresses[0].Outcome);
        Assert.Equal(HostOutcome.AuthenticationFailed, h.Addresses[1].Outcome);
        Assert.Null(h.Match);
    }

    [Fact]
    public void Host_with_all_addresses_authenticated_authenticates()
    {
        var host = Host(Mx, Tlsa(Mx, Ee)) with { Aaaa = Answer(Mx, "AAAA", true, "0:0::1") };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned), Tls(Mx, "::1", P.SelfSigned));

        Assert.Equal(HostOutcome.Authenticated, h.Outcome);
        Assert.All(h.Addresses, a => Assert.Equal(HostOutcome.Authenticated, a.Outcome));
    }

    [Fact]
    public void Host_with_one_unreachable_address_is_unreachable()
    {
        var host = Host(Mx, Tlsa(Mx, Ee)) with { Aaaa = Answer(Mx, "AAAA", true, "::1") };

        var h = One(Domain("example.com", true, host), Tls(Mx, Ip, P.SelfSigned), Failure(Mx, "::1", ProbeOutcome.Unreachable, ProbeStage.Connect));

        Assert.Equal(HostOutcome.Unreachable, h.Outcome);
    }

    [Fact]
    public void Probes_of_other_hosts_are_not_used()
    {
        var h = One(Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))), Tls("mx2.example.net", Ip, P.SelfSigned));

        Assert.Equal(HostReason.ProbeMissing, h.Reason);
    }

    // ---- Per domain: primary-MX and all-MX views.

    [Fact]
    public void Primary_view_covers_only_the_lowest_preference()
    {
        var dns = Domain(
            "example.com",
            true,
            Host("mx1.example.net", Tlsa("mx1.example.net", Ee), preference: 10, address: "127.0.0.11"),
            Host("mx2.example.net", Denied<TlsaRecord>("_25._tcp.mx2.example.net", "TLSA", true), preference: 20, address: "127.0.0.12"));

        var v = DaneJudge.Judge(dns, [Tls("mx1.example.net", "127.0.0.11", P.SelfSigned), Tls("mx2.example.net", "127.0.0.12", P.Other)]);

        Assert.Equal(DomainDaneStatus.Protected, v.Primary);
        Assert.Equal(DomainDaneStatus.Partial, v.All);
        Assert.True(v.Hosts[0].Primary);
        Assert.False(v.Hosts[1].Primary);
    }

    public static TheoryData<HostOutcome[], DomainDaneStatus> CombineCases() => new()
    {
        { Array.Empty<HostOutcome>(), DomainDaneStatus.NotApplicable },
        { new[] { HostOutcome.NoAddresses }, DomainDaneStatus.NotApplicable },
        { new[] { HostOutcome.Authenticated }, DomainDaneStatus.Protected },
        { new[] { HostOutcome.Authenticated, HostOutcome.NoAddresses }, DomainDaneStatus.Protected },
        { new[] { HostOutcome.Authenticated, HostOutcome.EncryptOnly }, DomainDaneStatus.EncryptOnly },
        { new[] { HostOutcome.EncryptOnly }, DomainDaneStatus.EncryptOnly },
        { new[] { HostOutcome.Authenticated, HostOutcome.NotDane }, DomainDaneStatus.Partial },
        { new[] { HostOutcome.EncryptOnly, HostOutcome.NotDane }, DomainDaneStatus.Partial },
        { new[] { HostOutcome.NotDane }, DomainDaneStatus.NotDane },
        { new[] { HostOutcome.Authenticated, HostOutcome.AuthenticationFailed }, DomainDaneStatus.Failing },
        { new[] { HostOutcome.NotDane, HostOutcome.NoStartTls }, DomainDaneStatus.Failing },
        { new[] { HostOutcome.HandshakeFailed }, DomainDaneStatus.Failing },
        { new[] { HostOutcome.TlsaLookupFailed, HostOutcome.Unreachable }, DomainDaneStatus.Failing },
        { new[] { HostOutcome.Authenticated, HostOutcome.Unreachable }, DomainDaneStatus.Failing },
        { new[] { HostOutcome.NotProbed }, DomainDaneStatus.NotApplicable },
        { new[] { HostOutcome.Authenticated, HostOutcome.NotProbed }, DomainDaneStatus.Protected },
        { new[] { HostOutcome.AddressLookupFailed, HostOutcome.NotDane }, DomainDaneStatus.NotDane },
        { new[] { HostOutcome.AddressLookupFailed }, DomainDaneStatus.NotApplicable },
    };

    [Theory]
    [MemberData(nameof(CombineCases))]
    public void Domain_status_over_hosts(HostOutcome[] outcomes, DomainDaneStatus expected)
    {
        var hosts = outcomes.Select((o, i) => new HostVerdict { Name = $"mx{i}.example.net", Outcome = o, Reason = HostReason.None });

        Assert.Equal(expected, DaneJudge.Combine(hosts));
    }

    [Fact]
    public void Every_host_outcome_has_a_severity_and_a_place_in_the_domain_status()
    {
        var severities = Enum.GetValues<HostOutcome>().Select(DaneJudge.Severity).ToList();

        Assert.Equal(severities.Count, severities.Distinct().Count());
    }

    [Fact]
    public void Verdict_carries_the_trust_mode()
    {
        var dns = Domain("example.com", true, Host(Mx, Tlsa(Mx, Ee))) with { Resolver = new ResolverInfo("127.0.0.1", DnsTrustMode.UnverifiedResolver) };

        Assert.Equal(DnsTrustMode.UnverifiedResolver, DaneJudge.Judge(dns, []).TrustMode);
    }
}
