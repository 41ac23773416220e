using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>
/// docs/dane-rules.md §2 and §3, the "insecure CNAME" case of RFC 7672 §2.2.2: an MX host name whose own CNAME record
/// validates while a later link of the chain, or the final address RRset, is unsigned keeps TLSA at the original
/// name, and only there. An insecure first answer stays "not DANE" without a TLSA lookup. The expected values
/// are read from the RFC text as dane-rules.md words it, not from the code.
/// </summary>
public class InsecureCnameTests
{
    private static readonly Pki P = Pki.Shared;
    private const string Mx = "mx.example.net";
    private const string Relay = "relay.example.org";
    private const string Target = "smtp.example.com";
    private const string Ip = "127.0.0.10";

    private static TlsaRecord Ee => P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static TlsaRecord Ta => P.Root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

    private static RrsetObservation<string> Cname(string owner, DnsOutcome outcome, string? target = null) => outcome switch
    {
        DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer => new(owner, "CNAME", outcome, DenialKind.None, [target!], 300, []),
        DnsOutcome.SecureDenial or DnsOutcome.InsecureDenial => new(owner, "CNAME", outcome, DenialKind.NoData, [], 300, []),
        _ => Failed<string>(owner, "CNAME", outcome),
    };

    private static RrsetObservation<string> Address(string type, DnsOutcome outcome, params string[] chain) => outcome switch
    {
        DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer => new(Mx, type, outcome, DenialKind.None, [type == "A" ? Ip : "::1"], 300, chain),
        _ => new(Mx, type, outcome, DenialKind.NoData, [], 300, chain),
    };

    /// <summary>The host's DNS side in each situation, without TLSA lookups.</summary>
    private static MxHostObservation Situation(string situation)
    {
        MxHostObservation H(RrsetObservation<string> a, RrsetObservation<string> aaaa, params RrsetObservation<string>[] cnames) =>
            new() { Name = Mx, A = a, Aaaa = aaaa, CnameLookups = cnames };

        return situation switch
        {
            "signed, no CNAME" => H(Address("A", DnsOutcome.SecureAnswer), Address("AAAA", DnsOutcome.SecureDenial)),
            "chain secure to its end" => H(Address("A", DnsOutcome.SecureAnswer, Target), Address("AAAA", DnsOutcome.SecureDenial, Target)),
            "unsigned, no CNAME" => H(Address("A", DnsOutcome.InsecureAnswer), Address("AAAA", DnsOutcome.InsecureDenial)),
            "own CNAME unsigned" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.InsecureAnswer, Target)),
            "own CNAME signed, target unsigned" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, Target)),
            "own CNAME signed, second link unsigned" => H(Address("A", DnsOutcome.InsecureAnswer, Relay, Target), Address("AAAA", DnsOutcome.InsecureDenial, Relay, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, Relay), Cname(Relay, DnsOutcome.InsecureAnswer, Target)),
            "both links signed, final A unsigned" => H(Address("A", DnsOutcome.InsecureAnswer, Relay, Target), Address("AAAA", DnsOutcome.InsecureDenial, Relay, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, Relay), Cname(Relay, DnsOutcome.SecureAnswer, Target)),
            "own CNAME signed, only AAAA answers" => H(Address("A", DnsOutcome.InsecureDenial, Target), Address("AAAA", DnsOutcome.InsecureAnswer, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, Target)),
            "own CNAME signed, target has no address" => H(Address("A", DnsOutcome.InsecureDenial, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, Target)),
            "own CNAME signed, AAAA lookup failed" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Failed<string>(Mx, "AAAA", DnsOutcome.LookupFailure),
                Cname(Mx, DnsOutcome.SecureAnswer, Target)),
            "own CNAME points elsewhere" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.SecureAnswer, "other.example.com")),
            "own CNAME securely absent" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.SecureDenial)),
            "own CNAME lookup failed" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.LookupFailure)),
            "own CNAME bogus" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target),
                Cname(Mx, DnsOutcome.Bogus)),
            "chain not examined (older observation)" => H(Address("A", DnsOutcome.InsecureAnswer, Target), Address("AAAA", DnsOutcome.InsecureDenial, Target)),
            _ => throw new ArgumentOutOfRangeException(nameof(situation), situation, null),
        };
    }

    // situation, how the host name stands, where the chain turned insecure, the TLSA bases to try in order
    public static TheoryData<string, HostNameSecurity, string?, string[]> Rule() => new()
    {
        { "signed, no CNAME", HostNameSecurity.Secure, null, [Mx] },
        { "chain secure to its end", HostNameSecurity.Secure, null, [Target, Mx] },
        { "unsigned, no CNAME", HostNameSecurity.Insecure, Mx, [] },
        { "own CNAME unsigned", HostNameSecurity.Insecure, Mx, [] },
        { "own CNAME signed, target unsigned", HostNameSecurity.InsecureCname, Target, [Mx] },
        { "own CNAME signed, second link unsigned", HostNameSecurity.InsecureCname, Relay, [Mx] },
        { "both links signed, final A unsigned", HostNameSecurity.InsecureCname, Target, [Mx] },
        { "own CNAME signed, only AAAA answers", HostNameSecurity.InsecureCname, Target, [Mx] },
        { "own CNAME signed, target has no address", HostNameSecurity.InsecureCname, Target, [] },
        { "own CNAME signed, AAAA lookup failed", HostNameSecurity.InsecureCname, Target, [Mx] },
        { "own CNAME points elsewhere", HostNameSecurity.Insecure, Mx, [] },
        { "own CNAME securely absent", HostNameSecurity.Insecure, Mx, [] },
        { "own CNAME lookup failed", HostNameSecurity.Undetermined, Mx, [] },
        { "own CNAME bogus", HostNameSecurity.Undetermined, Mx, [] },
        { "chain not examined (older observation)", HostNameSecurity.Insecure, null, [] },
    };

    [Theory]
    [MemberData(nameof(Rule))]
    public void Which_names_may_be_the_tlsa_base(string situation, HostNameSecurity security, string? insecureAt, string[] bases)
    {
        var host = Situation(situation);

        Assert.Equal(security, AddressChain.Classify(host));
        Assert.Equal(insecureAt, host.InsecureAt);
        Assert.Equal(bases, AddressChain.TlsaBases(host.Name, host.A, host.Aaaa, host.CnameLookups));
    }

    [Fact]
    public void Chain_links_are_looked_up_from_the_host_name_and_the_last_name_answers_with_addresses()
    {
        Assert.Equal([Mx], AddressChain.LinkOwners(Mx, [Target]));
        Assert.Equal([Mx, Relay], AddressChain.LinkOwners(Mx, [Relay, Target]));
        Assert.Equal([Relay, Target], AddressChain.InsecureChain(Address("A", DnsOutcome.InsecureAnswer, Relay, Target), Address("AAAA", DnsOutcome.InsecureDenial, Relay, Target)));
        Assert.Empty(AddressChain.InsecureChain(Address("A", DnsOutcome.SecureAnswer, Target), Address("AAAA", DnsOutcome.SecureDenial, Target)));
        Assert.Empty(AddressChain.InsecureChain(Address("A", DnsOutcome.InsecureAnswer), Address("AAAA", DnsOutcome.InsecureDenial)));
    }

    // The DNS side alone, for a host with no TLSA lookup where none is due and TLSA at the original name otherwise.
    public static TheoryData<string, HostOutcome, HostReason> DnsVerdicts() => new()
    {
        { "unsigned, no CNAME", HostOutcome.NotDane, HostReason.HostInsecure },
        { "own CNAME unsigned", HostOutcome.NotDane, HostReason.HostInsecure },
        { "own CNAME points elsewhere", HostOutcome.NotDane, HostReason.HostInsecure },
        { "chain not examined (older observation)", HostOutcome.NotDane, HostReason.HostInsecure },
        { "own CNAME lookup failed", HostOutcome.AddressLookupFailed, HostReason.AddressLookupFailure },
        { "own CNAME bogus", HostOutcome.AddressLookupFailed, HostReason.AddressBogus },
        { "own CNAME signed, target has no address", HostOutcome.NoAddresses, HostReason.NoAddressRecords },
    };

    [Theory]
    [MemberData(nameof(DnsVerdicts))]
    public void Hosts_where_no_tlsa_applies(string situation, HostOutcome outcome, HostReason reason)
    {
        var host = Situation(situation);

        var h = Assert.Single(DaneJudge.Judge(Domain("example.net", true, host), [Tls(Mx, Ip, P.SelfSigned)]).Hosts);

        Assert.Equal(outcome, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Null(h.TlsaBase);
        Assert.Null(h.Match);
    }

    // TLSA at the original name in the insecure CNAME case: what it holds decides, as for any secure host name.
    public static TheoryData<string, string, HostOutcome, HostReason> OriginalNameTlsa() => new()
    {
        { "own CNAME signed, target unsigned", "matching", HostOutcome.Authenticated, HostReason.DaneEeMatched },
        { "own CNAME signed, second link unsigned", "matching", HostOutcome.Authenticated, HostReason.DaneEeMatched },
        { "both links signed, final A unsigned", "matching", HostOutcome.Authenticated, HostReason.DaneEeMatched },
        { "own CNAME signed, only AAAA answers", "matching", HostOutcome.Authenticated, HostReason.DaneEeMatched },
        { "own CNAME signed, AAAA lookup failed", "matching", HostOutcome.Authenticated, HostReason.DaneEeMatched },
        { "own CNAME signed, target unsigned", "another key", HostOutcome.AuthenticationFailed, HostReason.NoMatchingRecord },
        { "own CNAME signed, target unsigned", "securely denied", HostOutcome.NotDane, HostReason.TlsaSecureDenial },
        { "own CNAME signed, target unsigned", "insecure", HostOutcome.NotDane, HostReason.TlsaInsecure },
        { "own CNAME signed, target unsigned", "bogus", HostOutcome.TlsaLookupFailed, HostReason.TlsaBogus },
        { "own CNAME signed, target unsigned", "failed", HostOutcome.TlsaLookupFailed, HostReason.TlsaLookupFailure },
        { "own CNAME signed, target unsigned", "none made", HostOutcome.TlsaLookupFailed, HostReason.TlsaNotQueried },
    };

    [Theory]
    [MemberData(nameof(OriginalNameTlsa))]
    public void Insecure_cname_hosts_are_judged_on_the_original_names_tlsa(string situation, string tlsa, HostOutcome outcome, HostReason reason)
    {
        var owner = "_25._tcp." + Mx;
        RrsetObservation<TlsaRecord>? lookup = tlsa switch
        {
            "matching" => Tlsa(Mx, Ee),
            "another key" => Tlsa(Mx, P.Other.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)),
            "securely denied" => Denied<TlsaRecord>(owner, "TLSA", true, DenialKind.NxDomain),
            "insecure" => Answer(owner, "TLSA", false, Ee),
            "bogus" => Failed<TlsaRecord>(owner, "TLSA", DnsOutcome.Bogus),
            "failed" => Failed<TlsaRecord>(owner, "TLSA", DnsOutcome.LookupFailure),
            "none made" => null,
            _ => throw new ArgumentOutOfRangeException(nameof(tlsa), tlsa, null),
        };
        var host = Situation(situation) with { TlsaLookups = lookup is null ? [] : [lookup], TlsaBase = lookup is null ? null : Mx };
        var probes = new[] { Tls(Mx, Ip, P.SelfSigned), Tls(Mx, "::1", P.SelfSigned) };

        var v = DaneJudge.Judge(Domain("example.net", true, host), probes);

        var h = Assert.Single(v.Hosts);
        Assert.Equal(outcome, h.Outcome);
        Assert.Equal(reason, h.Reason);
        Assert.Equal(outcome == HostOutcome.Authenticated ? TlsTrust.Verified : TlsTrust.None, h.Trust);
        if (lookup is not null)
        {
            Assert.Equal(Mx, h.TlsaBase);
        }

        Assert.NotEmpty(h.Addresses);
        Assert.Equal(outcome == HostOutcome.Authenticated ? DomainDaneStatus.Protected
            : outcome is HostOutcome.NotDane ? DomainDaneStatus.NotDane : DomainDaneStatus.Failing, v.All);
    }

    [Fact]
    public void The_insecure_targets_name_is_no_reference_identifier()
    {
        // A DANE-TA leaf that names only the CNAME's unsigned target: that name could have been forged, so it
        // does not authenticate; the original name (the TLSA base) does.
        var host = Situation("own CNAME signed, target unsigned") with { TlsaLookups = [Tlsa(Mx, Ta)], TlsaBase = Mx };
        var forTarget = TestPki.Leaf(P.Intermediate, Target, [Target]);
        var forMx = TestPki.Leaf(P.Intermediate, Mx, [Mx]);

        var wrong = Assert.Single(DaneJudge.Judge(Domain("example.net", true, host), [Tls(Mx, Ip, forTarget, P.Intermediate, P.Root)]).Hosts);
        var right = Assert.Single(DaneJudge.Judge(Domain("example.net", true, host), [Tls(Mx, Ip, forMx, P.Intermediate, P.Root)]).Hosts);

        Assert.Equal([Mx, "example.net"], wrong.ReferenceIdentifiers);
        Assert.Equal(HostReason.NameMismatch, wrong.Reason);
        Assert.Equal(HostOutcome.Authenticated, right.Outcome);
        Assert.Equal(Mx, right.Match!.MatchedName);
    }

    [Fact]
    public void A_secure_cname_into_an_unsigned_zone_is_a_finding_that_names_the_unsigned_name()
    {
        var host = Situation("own CNAME signed, second link unsigned") with { TlsaLookups = [Tlsa(Mx, Ee)], TlsaBase = Mx };

        var v = DaneJudge.Judge(Domain("example.net", true, host), [Tls(Mx, Ip, P.SelfSigned)]);

        var finding = Assert.Single(v.Findings, f => f.Code == FindingCode.MxHostZoneUnsigned);
        Assert.Equal(Mx, finding.Host);
        Assert.Contains(Relay, finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_observation_records_where_the_chain_turned_insecure_and_judges_the_same_read_back()
    {
        var host = Situation("own CNAME signed, second link unsigned") with { TlsaLookups = [Tlsa(Mx, Ee)], TlsaBase = Mx };
        var scan = new DomainScan(Domain("example.net", true, host), [Tls(Mx, Ip, P.SelfSigned)]);

        var json = DaneJson.SerializeScan(scan);
        var back = DaneJson.DeserializeScan(json);

        Assert.Contains($"\"insecureAt\":\"{Relay}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"cnameLookups\":[", json, StringComparison.Ordinal);
        Assert.Equal(2, back.Dns.Hosts[0].CnameLookups.Count);
        Assert.Equal(Relay, back.Dns.Hosts[0].InsecureAt);
        Assert.Equal(json, DaneJson.SerializeScan(back));
        Assert.Equal(DaneJson.SerializeVerdict(DaneJudge.Judge(scan)), DaneJson.SerializeVerdict(DaneJudge.Judge(back)));
        Assert.Equal(HostOutcome.Authenticated, DaneJudge.Judge(back).Hosts[0].Outcome);
    }

    [Fact]
    public void A_stored_insecure_at_cannot_override_the_lookups()
    {
        // insecureAt is derived: a document that claims another name (or a secure host) is read by its lookups.
        var host = Situation("own CNAME unsigned");
        var json = DaneJson.SerializeScan(new DomainScan(Domain("example.net", true, host), []))
            .Replace($"\"insecureAt\":\"{Mx}\"", $"\"insecureAt\":\"{Target}\"", StringComparison.Ordinal);

        var back = DaneJson.DeserializeScan(json);

        Assert.Equal(Mx, back.Dns.Hosts[0].InsecureAt);
        Assert.Equal(HostReason.HostInsecure, DaneJudge.Judge(back).Hosts[0].Reason);
    }

    [Fact]
    public void An_observation_written_before_the_rule_reads_as_before()
    {
        // Schema 1 documents without cnameLookups: the chain was never examined, so the host name cannot be shown
        // secure and the verdict is what it was then.
        var host = Situation("chain not examined (older observation)");
        var json = DaneJson.SerializeScan(new DomainScan(Domain("example.net", true, host), []));
        Assert.DoesNotContain("cnameLookups\":[{", json, StringComparison.Ordinal);
        var withoutNewFields = json.Replace(",\"cnameLookups\":[]", "", StringComparison.Ordinal);
        Assert.DoesNotContain("cnameLookups", withoutNewFields, StringComparison.Ordinal);

        var back = DaneJson.DeserializeScan(withoutNewFields);

        Assert.Empty(back.Dns.Hosts[0].CnameLookups);
        Assert.Equal(HostReason.HostInsecure, DaneJudge.Judge(back).Hosts[0].Reason);
    }
}
