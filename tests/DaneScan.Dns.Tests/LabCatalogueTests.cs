using DaneScan.Core;
using DaneScan.Lab.Cases;
using DnsClient;

namespace DaneScan.Dns.Tests;

/// <summary>
/// Every case of the lab catalogue, resolved through the lab's validating unbound: each RRset the case
/// names has the DNS outcome the lab intends, and the domain observation leads to the hosts, TLSA lookups
/// and TLSA base the rules expect.
/// </summary>
[Trait("Category", "Integration")]
[Collection(DnsLabCollection.Name)]
public sealed class LabCatalogueTests(DnsLabFixture fixture)
{
    public static TheoryData<string, string, string, string> Rrsets()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var labCase in LabCatalogue.All)
        {
            foreach (var rrset in labCase.Rrsets)
            {
                data.Add(labCase.Id, rrset.Name, rrset.Type, rrset.Outcome.ToString());
            }
        }

        return data;
    }

    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var labCase in LabCatalogue.All)
        {
            data.Add(labCase.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rrsets))]
    public async Task Each_rrset_has_the_outcome_the_lab_intends(string caseId, string name, string type, string expected)
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions());
        var observed = await LookupAsync(resolver, name, type);
        Assert.True(expected == observed.Outcome.ToString(),
            $"{caseId}: {name} {type}: expected {expected}, got {observed.Outcome} ({observed.Denial}, {observed.Failure}, {observed.Detail})");
        if (observed.Outcome is DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer)
        {
            Assert.NotEmpty(observed.Records);
            Assert.NotNull(observed.Ttl);
        }
        else
        {
            Assert.Empty(observed.Records);
        }
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Domain_observation_leads_where_the_rules_say(string caseId)
    {
        var labCase = LabCatalogue.Get(caseId);
        var observation = await new DomainResolver(fixture.ResolverOptions()).ResolveAsync(labCase.Domain);

        Assert.Equal(labCase.Domain, observation.Domain);
        Assert.Equal(fixture.Lab.Resolver.ToString(), observation.Resolver.Endpoint);
        Assert.Equal(labCase.Expected.MxSecure, observation.Mx.IsSecure);
        var mx = observation.Mx;
        switch (labCase.Expected.Mx)
        {
            case MxStatus.NxDomain:
                Assert.Equal(DenialKind.NxDomain, mx.Denial);
                Assert.Empty(observation.Hosts);
                return;
            case MxStatus.MxBogus:
                Assert.Equal(DnsOutcome.Bogus, mx.Outcome);
                Assert.Empty(observation.Hosts);
                return;
            case MxStatus.MxLookupFailed:
                Assert.Equal(DnsOutcome.LookupFailure, mx.Outcome);
                Assert.Empty(observation.Hosts);
                return;
            case MxStatus.NullMx:
                Assert.All(mx.Records, r => Assert.True(r.IsNullMx));
                Assert.NotEmpty(mx.Records);
                Assert.Empty(observation.Hosts);
                return;
            case MxStatus.NullMxMixed:
                Assert.Contains(mx.Records, r => r.IsNullMx);
                Assert.Contains(mx.Records, r => !r.IsNullMx);
                break;
            case MxStatus.ImplicitMx:
                Assert.Equal(DenialKind.NoData, mx.Denial);
                Assert.True(Assert.Single(observation.Hosts).Implicit);
                break;
            default:
                Assert.Contains(mx.Outcome, new[] { DnsOutcome.SecureAnswer, DnsOutcome.InsecureAnswer });
                break;
        }

        Assert.Equal(labCase.Hosts.Select(h => h.Name), observation.Hosts.Select(h => h.Name));
        foreach (var (expected, host) in labCase.Hosts.Zip(observation.Hosts))
        {
            var where = $"{caseId}: host {host.Name}";
            if (!host.Implicit)
            {
                Assert.Equal(expected.Preference, host.Preference);
            }

            if (expected.TlsaBase is not null)
            {
                Assert.True(expected.TlsaBase == host.TlsaBase, $"{where}: TLSA base {host.TlsaBase}, expected {expected.TlsaBase}");
            }

            // RFC 7672 §2.2.2: a name reached through an unsigned link is never a TLSA base.
            if (AddressChain.Classify(host) == HostNameSecurity.InsecureCname)
            {
                Assert.All(host.TlsaLookups, t => Assert.Equal("_25._tcp." + host.Name, t.Name));
            }

            AssertDnsFactsOf(expected.Expected, host, where);
        }
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Core_reads_each_observation_as_the_lab_expects_and_it_survives_json(string caseId)
    {
        var labCase = LabCatalogue.Get(caseId);
        var observation = await new DomainResolver(fixture.ResolverOptions()).ResolveAsync(labCase.Domain);

        Assert.Equal(labCase.Expected.Mx, DaneJudge.MxStatusOf(observation.Mx));
        foreach (var (expected, host) in labCase.Hosts.Zip(observation.Hosts))
        {
            var verdict = DaneJudge.HostDnsVerdict(host);
            if (CaseBuilder.DaneApplies(expected.Expected.Outcome))
            {
                Assert.True(verdict is null, $"{caseId}: {host.Name}: DANE applies, but the DNS side says {verdict}");
            }
            else if (expected.Expected.Outcome != HostOutcome.NotProbed)
            {
                Assert.True(verdict is { } v && v.Outcome == expected.Expected.Outcome && v.Reason == expected.Expected.Reason,
                    $"{caseId}: {host.Name}: expected {expected.Expected.Outcome}/{expected.Expected.Reason}, DNS side says {verdict}");
            }
        }

        var json = DaneJson.SerializeScan(new DomainScan(observation, []));
        var back = DaneJson.DeserializeScan(json);
        Assert.Equal(json, DaneJson.SerializeScan(back));
        Assert.Equal(observation.Hosts.Select(h => h.Tlsa?.Records.Count), back.Dns.Hosts.Select(h => h.Tlsa?.Records.Count));
    }

    /// <summary>What each expected host reason says about the DNS side of the host.</summary>
    private static void AssertDnsFactsOf(ExpectedHost expected, MxHostObservation host, string where)
    {
        var addresses = new[] { host.A, host.Aaaa };
        var tlsa = host.Tlsa;
        var summary = $"{where}: A {host.A.Outcome}, AAAA {host.Aaaa.Outcome}, TLSA {string.Join(" then ", host.TlsaLookups.Select(t => $"{t.Name} {t.Outcome}"))}";
        switch (expected.Reason)
        {
            case HostReason.TlsaSecureDenial:
                Assert.True(tlsa is { Outcome: DnsOutcome.SecureDenial }, summary);
                break;
            case HostReason.TlsaInsecure:
                Assert.True(tlsa is { Outcome: DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial }, summary);
                break;
            case HostReason.HostInsecure:
                Assert.True(host.TlsaLookups.Count == 0 && addresses.Any(a => a.Outcome is DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial), summary);
                break;
            case HostReason.TlsaBogus:
                Assert.True(tlsa is { Outcome: DnsOutcome.Bogus }, summary);
                break;
            case HostReason.TlsaLookupFailure:
                Assert.True(tlsa is { Outcome: DnsOutcome.LookupFailure }, summary);
                break;
            case HostReason.NoAddressRecords:
                Assert.True(host.TlsaLookups.Count == 0 && addresses.All(a => a.Records.Count == 0 && !a.IsFailure), summary);
                break;
            case HostReason.AddressBogus:
                Assert.True(host.TlsaLookups.Count == 0 && addresses.Any(a => a.Outcome == DnsOutcome.Bogus), summary);
                break;
            case HostReason.AddressLookupFailure:
                Assert.True(host.TlsaLookups.Count == 0 && addresses.Any(a => a.Outcome == DnsOutcome.LookupFailure), summary);
                break;
            default:
                if (CaseBuilder.DaneApplies(expected.Outcome))
                {
                    Assert.True(tlsa is { Outcome: DnsOutcome.SecureAnswer, Records.Count: > 0 }, summary);
                }

                break;
        }
    }

    internal static async Task<RrsetObservation<string>> LookupAsync(ValidatingResolver resolver, string name, string type)
    {
        static RrsetObservation<string> AsText<T>(RrsetObservation<T> o) =>
            new(o.Name, o.Type, o.Outcome, o.Denial, [.. o.Records.Select(r => r!.ToString()!)], o.Ttl, o.CnameChain, o.Failure, o.ExtendedDnsError, o.Detail);

        return type.ToUpperInvariant() switch
        {
            "A" => await resolver.LookupAAsync(name),
            "CNAME" => await resolver.LookupCnameAsync(name),
            "AAAA" => await resolver.LookupAaaaAsync(name),
            "MX" => AsText(await resolver.LookupMxAsync(name)),
            "TLSA" => AsText(await resolver.LookupTlsaAsync(name)),
            _ => await resolver.LookupAsync(name, Enum.Parse<QueryType>(type, ignoreCase: true), type.ToUpperInvariant(),
                r => r.RecordType.ToString().Equals(type, StringComparison.OrdinalIgnoreCase) ? r.ToString() : null),
        };
    }
}
