using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>
/// Which hosts an MX RRset leads to (RFC 7672 §2.1, RFC 7505, RFC 5321 §5.1) and when TLSA is due for a host
/// without CNAMEs (the CNAME cases: DaneScan.Core.Tests InsecureCnameTests, and the lab cases in LabCaseDnsTests).
/// </summary>
public class MxSelectionTests
{
    private static RrsetObservation<MxRecord> Mx(DnsOutcome outcome, DenialKind denial, params MxRecord[] records) =>
        new("example.test", "MX", outcome, denial, records, 300, []);

    private static RrsetObservation<string> Addr(DnsOutcome outcome, params string[] records) =>
        new("mx.example.test", "A", outcome, records.Length == 0 && outcome is DnsOutcome.SecureDenial or DnsOutcome.InsecureDenial ? DenialKind.NoData : DenialKind.None, records, 300, []);

    [Fact]
    public void Hosts_come_in_preference_order_deduplicated_at_their_lowest_preference()
    {
        var hosts = DomainResolver.HostsToResolve("example.test", Mx(DnsOutcome.SecureAnswer, DenialKind.None,
            new MxRecord(20, DnsName.Unchecked("b.example.test")), new MxRecord(10, DnsName.Unchecked("c.example.test")), new MxRecord(5, DnsName.Unchecked("B.Example.Test.")), new MxRecord(10, DnsName.Unchecked("a.example.test"))));
        Assert.Equal(["b.example.test", "a.example.test", "c.example.test"], hosts.Select(h => h.Name));
        Assert.Equal([5, 10, 10], hosts.Select(h => (int)h.Preference));
        Assert.All(hosts, h => Assert.False(h.Implicit));
    }

    [Fact]
    public void Lone_null_mx_has_no_hosts() =>
        Assert.Empty(DomainResolver.HostsToResolve("example.test", Mx(DnsOutcome.SecureAnswer, DenialKind.None, new MxRecord(0, DnsName.Unchecked(".")))));

    [Fact]
    public void Null_mx_beside_other_mx_still_resolves_the_others() =>
        Assert.Equal(["mx.example.test"], DomainResolver.HostsToResolve("example.test",
            Mx(DnsOutcome.InsecureAnswer, DenialKind.None, new MxRecord(0, DnsName.Unchecked(".")), new MxRecord(10, DnsName.Unchecked("mx.example.test")))).Select(h => h.Name));

    [Theory]
    [InlineData(DnsOutcome.SecureDenial)]
    [InlineData(DnsOutcome.InsecureDenial)]
    public void Nodata_means_implicit_mx_on_the_domain_itself(DnsOutcome outcome)
    {
        var host = Assert.Single(DomainResolver.HostsToResolve("Example.Test.", Mx(outcome, DenialKind.NoData)));
        Assert.Equal("example.test", host.Name);
        Assert.True(host.Implicit);
    }

    [Theory]
    [InlineData(DnsOutcome.SecureDenial, DenialKind.NxDomain)]
    [InlineData(DnsOutcome.Bogus, DenialKind.None)]
    [InlineData(DnsOutcome.LookupFailure, DenialKind.None)]
    public void Nxdomain_bogus_and_failed_mx_have_no_hosts(DnsOutcome outcome, DenialKind denial) =>
        Assert.Empty(DomainResolver.HostsToResolve("example.test", Mx(outcome, denial)));

    [Theory]
    [InlineData(DnsOutcome.SecureAnswer, DnsOutcome.SecureAnswer, true)]
    [InlineData(DnsOutcome.SecureAnswer, DnsOutcome.SecureDenial, true)]
    [InlineData(DnsOutcome.SecureDenial, DnsOutcome.SecureAnswer, true)]
    [InlineData(DnsOutcome.SecureAnswer, DnsOutcome.LookupFailure, true)]
    [InlineData(DnsOutcome.SecureDenial, DnsOutcome.SecureDenial, false)]
    [InlineData(DnsOutcome.InsecureAnswer, DnsOutcome.InsecureDenial, false)]
    [InlineData(DnsOutcome.SecureAnswer, DnsOutcome.InsecureDenial, false)]
    [InlineData(DnsOutcome.Bogus, DnsOutcome.Bogus, false)]
    [InlineData(DnsOutcome.LookupFailure, DnsOutcome.LookupFailure, false)]
    public void Tlsa_is_due_only_for_secure_addresses_without_cnames(DnsOutcome a, DnsOutcome aaaa, bool due) =>
        Assert.Equal(due ? ["mx.example.test"] : [], AddressChain.TlsaBases("mx.example.test",
            Addr(a, a == DnsOutcome.SecureAnswer || a == DnsOutcome.InsecureAnswer ? ["127.0.0.1"] : []),
            Addr(aaaa, aaaa == DnsOutcome.SecureAnswer || aaaa == DnsOutcome.InsecureAnswer ? ["::1"] : []),
            []));
}
