using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>
/// The DNS situations of docs/dane-rules.md §1-§3, one named lab case each, resolved through the lab's validating
/// unbound, with the details the generic catalogue test does not look at (EDE codes, denial kinds, CNAME
/// chains, the order of TLSA lookups).
/// </summary>
[Trait("Category", "Integration")]
[Collection(DnsLabCollection.Name)]
public sealed class LabCaseDnsTests(DnsLabFixture fixture)
{
    private Task<DomainObservation> ResolveAsync(string domain) =>
        new DomainResolver(fixture.ResolverOptions()).ResolveAsync(domain);

    private ValidatingResolver Resolver => new(fixture.ResolverOptions());

    [Fact]
    public async Task Secure_mx_host_and_tlsa_are_secure_answers()
    {
        var o = await ResolveAsync("ee-11.lab");
        Assert.Equal(DnsOutcome.SecureAnswer, o.Mx.Outcome);
        var host = Assert.Single(o.Hosts);
        Assert.Equal("mx.ee-11.lab", host.Name);
        Assert.Equal(10, host.Preference);
        Assert.Equal(DnsOutcome.SecureAnswer, host.A.Outcome);
        Assert.Equal(fixture.Lab.Host("mx.ee-11.lab").Address!.ToString(), Assert.Single(host.A.Records));
        Assert.Equal(DnsOutcome.SecureDenial, host.Aaaa.Outcome);
        Assert.Equal(DenialKind.NoData, host.Aaaa.Denial);
        Assert.Equal("mx.ee-11.lab", host.TlsaBase);
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.mx.ee-11.lab", tlsa.Name);
        Assert.Equal(DnsOutcome.SecureAnswer, tlsa.Outcome);
        var record = Assert.Single(tlsa.Records);
        Assert.Equal(fixture.Lab.Host("mx.ee-11.lab").Tlsa(new Lab.Cases.TlsaSpec(3, 1, 1, Lab.Cases.CertRole.Leaf)), record);
    }

    [Theory]
    [InlineData("tlsa-denial-nsec")]
    [InlineData("tlsa-denial-nsec3")]
    public async Task Missing_tlsa_is_a_secure_nxdomain_with_nsec_and_nsec3(string id)
    {
        var tlsa = await Resolver.LookupTlsaAsync($"_25._tcp.mx.{id}.lab");
        Assert.Equal(DnsOutcome.SecureDenial, tlsa.Outcome);
        Assert.Equal(DenialKind.NxDomain, tlsa.Denial);
        Assert.Empty(tlsa.Records);
        Assert.NotNull(tlsa.Ttl);
    }

    [Fact]
    public async Task Other_data_at_the_tlsa_owner_is_a_secure_nodata()
    {
        var tlsa = await Resolver.LookupTlsaAsync("_25._tcp.mx.tlsa-nodata.lab");
        Assert.Equal(DnsOutcome.SecureDenial, tlsa.Outcome);
        Assert.Equal(DenialKind.NoData, tlsa.Denial);
    }

    [Fact]
    public async Task Unsigned_mx_zone_is_insecure_and_its_signed_host_still_gets_tlsa()
    {
        var o = await ResolveAsync("mx-insecure.lab");
        Assert.Equal(DnsOutcome.InsecureAnswer, o.Mx.Outcome);
        var host = Assert.Single(o.Hosts);
        Assert.Equal(DnsOutcome.SecureAnswer, host.A.Outcome);
        Assert.Equal(DnsOutcome.SecureAnswer, host.Tlsa!.Outcome);
    }

    [Fact]
    public async Task Insecure_host_gets_no_tlsa_lookup()
    {
        var o = await ResolveAsync("host-insecure.lab");
        var host = Assert.Single(o.Hosts);
        Assert.Equal(DnsOutcome.InsecureAnswer, host.A.Outcome);
        Assert.Empty(host.TlsaLookups);
        Assert.Null(host.TlsaBase);
    }

    [Theory]
    [InlineData("expired-signatures")]
    [InlineData("ds-mismatch")]
    [InlineData("mx-bogus")]
    public async Task Broken_signatures_make_the_mx_bogus_with_a_dnssec_ede(string id)
    {
        var o = await ResolveAsync($"{id}.lab");
        Assert.Equal(DnsOutcome.Bogus, o.Mx.Outcome);
        Assert.NotNull(o.Mx.ExtendedDnsError);
        Assert.True(new ExtendedDnsError(o.Mx.ExtendedDnsError.Value, "").IsDnssecFailure, o.Mx.Detail);
        Assert.Empty(o.Hosts);
    }

    [Fact]
    public async Task Expired_signatures_are_reported_as_such()
    {
        // A fresh name in the zone, so that unbound reports the first failure (EDE 7), not a cached key failure.
        var a = await Resolver.LookupAAsync("mx.expired-signatures.lab");
        Assert.Equal(DnsOutcome.Bogus, a.Outcome);
        Assert.Contains(a.ExtendedDnsError, new int?[] { 6, 7 });
    }

    [Fact]
    public async Task Bogus_tlsa_is_bogus_and_bogus_address_stops_before_tlsa()
    {
        var tlsa = Assert.Single(Assert.Single((await ResolveAsync("tlsa-bogus.lab")).Hosts).TlsaLookups);
        Assert.Equal(DnsOutcome.Bogus, tlsa.Outcome);

        var host = Assert.Single((await ResolveAsync("host-bogus.lab")).Hosts);
        Assert.Equal(DnsOutcome.Bogus, host.A.Outcome);
        Assert.Empty(host.TlsaLookups);
    }

    [Fact]
    public async Task Unreachable_zone_is_a_lookup_failure_not_bogus()
    {
        var o = await ResolveAsync("mx-unreachable.lab");
        Assert.Equal(DnsOutcome.LookupFailure, o.Mx.Outcome);
        Assert.Contains(o.Mx.Failure, new[] { LookupFailureKind.ServFail, LookupFailureKind.Timeout });
        Assert.Empty(o.Hosts);

        var tlsa = Assert.Single(Assert.Single((await ResolveAsync("tlsa-unreachable.lab")).Hosts).TlsaLookups);
        Assert.Equal(DnsOutcome.LookupFailure, tlsa.Outcome);
    }

    [Fact]
    public async Task Cnamed_host_uses_the_target_as_tlsa_base()
    {
        var host = Assert.Single((await ResolveAsync("cname-tlsa-target.lab")).Hosts);
        Assert.Equal("mx.cname-tlsa-target.lab", host.Name);
        Assert.Equal(["smtp.cname-tlsa-target.lab"], host.A.CnameChain);
        Assert.Equal(DnsOutcome.SecureAnswer, host.A.Outcome);
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.smtp.cname-tlsa-target.lab", tlsa.Name);
        Assert.Equal(DnsOutcome.SecureAnswer, tlsa.Outcome);
        Assert.Equal("smtp.cname-tlsa-target.lab", host.TlsaBase);
    }

    [Fact]
    public async Task Cnamed_host_falls_back_to_the_original_name_when_the_target_is_denied()
    {
        var host = Assert.Single((await ResolveAsync("cname-tlsa-original.lab")).Hosts);
        Assert.Equal(2, host.TlsaLookups.Count);
        Assert.Equal("_25._tcp.smtp.cname-tlsa-original.lab", host.TlsaLookups[0].Name);
        Assert.Equal(DnsOutcome.SecureDenial, host.TlsaLookups[0].Outcome);
        Assert.Equal("_25._tcp.mx.cname-tlsa-original.lab", host.TlsaLookups[1].Name);
        Assert.Equal(DnsOutcome.SecureAnswer, host.TlsaLookups[1].Outcome);
        Assert.Equal("mx.cname-tlsa-original.lab", host.TlsaBase);
    }

    [Fact]
    public async Task A_cname_lookup_is_answered_by_the_names_own_cname_with_its_own_security()
    {
        // The A answer through the chain is insecure as a whole; the CNAME records on their own tell which link is.
        var own = await Resolver.LookupCnameAsync("mx.cname-insecure-link.lab");
        Assert.Equal(DnsOutcome.SecureAnswer, own.Outcome);
        Assert.Equal(["relay.cname-insecure-link-relay.lab"], own.Records);
        Assert.Empty(own.CnameChain);
        Assert.NotNull(own.OriginalTtl);

        var unsigned = await Resolver.LookupCnameAsync("relay.cname-insecure-link-relay.lab");
        Assert.Equal(DnsOutcome.InsecureAnswer, unsigned.Outcome);
        Assert.Equal(["smtp.cname-insecure-link.lab"], unsigned.Records);

        var none = await Resolver.LookupCnameAsync("mx.ee-11.lab");
        Assert.Equal(DnsOutcome.SecureDenial, none.Outcome);
        Assert.Equal(DenialKind.NoData, none.Denial);
    }

    [Fact]
    public async Task Secure_cname_into_an_unsigned_zone_keeps_tlsa_at_the_original_name()
    {
        // RFC 7672 §2.2.2: the host name's own CNAME validates, the target's A RRset does not.
        var host = Assert.Single((await ResolveAsync("cname-insecure-target.lab")).Hosts);
        Assert.Equal(["smtp.cname-insecure-target-target.lab"], host.A.CnameChain);
        Assert.Equal(DnsOutcome.InsecureAnswer, host.A.Outcome);
        var cname = Assert.Single(host.CnameLookups);
        Assert.Equal(("mx.cname-insecure-target.lab", DnsOutcome.SecureAnswer), (cname.Name, cname.Outcome));
        Assert.Equal("smtp.cname-insecure-target-target.lab", host.InsecureAt);
        Assert.Equal(HostNameSecurity.InsecureCname, AddressChain.Classify(host));
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.mx.cname-insecure-target.lab", tlsa.Name);
        Assert.Equal(DnsOutcome.SecureAnswer, tlsa.Outcome);
        Assert.Equal("mx.cname-insecure-target.lab", host.TlsaBase);
        Assert.Null(DaneJudge.HostDnsVerdict(host));
    }

    [Fact]
    public async Task Tlsa_at_the_unsigned_target_is_never_looked_up()
    {
        // The target publishes matching TLSA in its unsigned zone; the original name publishes none.
        var host = Assert.Single((await ResolveAsync("cname-insecure-target-tlsa.lab")).Hosts);
        Assert.Equal(HostNameSecurity.InsecureCname, AddressChain.Classify(host));
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.mx.cname-insecure-target-tlsa.lab", tlsa.Name);
        Assert.Equal(DnsOutcome.SecureDenial, tlsa.Outcome);
        Assert.Equal((HostOutcome.NotDane, HostReason.TlsaSecureDenial), DaneJudge.HostDnsVerdict(host) is { } v ? (v.Outcome, v.Reason) : default);
    }

    [Fact]
    public async Task An_unsigned_middle_link_is_recorded_and_only_the_original_name_is_a_base()
    {
        // mx (signed) -> relay (unsigned zone) -> smtp (signed, with its own secure TLSA): the final A RRset is
        // secure, the answer as a whole is not, and the signed final name was reached through an unsigned link.
        var host = Assert.Single((await ResolveAsync("cname-insecure-link.lab")).Hosts);
        Assert.Equal(["relay.cname-insecure-link-relay.lab", "smtp.cname-insecure-link.lab"], host.A.CnameChain);
        Assert.Equal(DnsOutcome.InsecureAnswer, host.A.Outcome);
        Assert.Equal(
            [("mx.cname-insecure-link.lab", DnsOutcome.SecureAnswer), ("relay.cname-insecure-link-relay.lab", DnsOutcome.InsecureAnswer)],
            host.CnameLookups.Select(c => (c.Name, c.Outcome)));
        Assert.Equal("relay.cname-insecure-link-relay.lab", host.InsecureAt);
        Assert.Equal("_25._tcp.mx.cname-insecure-link.lab", Assert.Single(host.TlsaLookups).Name);
        Assert.Equal("mx.cname-insecure-link.lab", host.TlsaBase);
    }

    [Fact]
    public async Task Hosts_without_cnames_or_with_secure_chains_make_no_cname_lookups()
    {
        foreach (var domain in new[] { "host-insecure.lab", "ee-11.lab", "cname-tlsa-target.lab", "cname-tlsa-original.lab" })
        {
            var host = Assert.Single((await ResolveAsync(domain)).Hosts);
            Assert.True(host.CnameLookups.Count == 0, domain);
        }

        var insecure = Assert.Single((await ResolveAsync("host-insecure.lab")).Hosts);
        Assert.Equal("mx.host-insecure-hosts.lab", insecure.InsecureAt);
        Assert.Equal(HostNameSecurity.Insecure, AddressChain.Classify(insecure));
    }

    [Fact]
    public async Task Lone_null_mx_has_no_hosts()
    {
        var o = await ResolveAsync("null-mx.lab");
        Assert.Equal(DnsOutcome.SecureAnswer, o.Mx.Outcome);
        Assert.True(Assert.Single(o.Mx.Records).IsNullMx);
        Assert.Empty(o.Hosts);
    }

    [Fact]
    public async Task Null_mx_beside_a_real_mx_keeps_the_real_host()
    {
        var o = await ResolveAsync("null-mx-mixed.lab");
        Assert.Equal(2, o.Mx.Records.Count);
        Assert.Equal("mx.null-mx-mixed.lab", Assert.Single(o.Hosts).Name);
    }

    [Fact]
    public async Task Nodata_mx_makes_the_domain_its_own_host()
    {
        var o = await ResolveAsync("implicit-mx.lab");
        Assert.Equal(DnsOutcome.SecureDenial, o.Mx.Outcome);
        Assert.Equal(DenialKind.NoData, o.Mx.Denial);
        var host = Assert.Single(o.Hosts);
        Assert.True(host.Implicit);
        Assert.Equal("implicit-mx.lab", host.Name);
        Assert.Equal("implicit-mx.lab", host.TlsaBase);
        Assert.Equal("_25._tcp.implicit-mx.lab", host.Tlsa!.Name);
    }

    [Fact]
    public async Task Nonexistent_domain_is_a_secure_nxdomain()
    {
        var o = await ResolveAsync("nxdomain.lab");
        Assert.Equal(DnsOutcome.SecureDenial, o.Mx.Outcome);
        Assert.Equal(DenialKind.NxDomain, o.Mx.Denial);
        Assert.Empty(o.Hosts);
    }

    [Theory]
    [InlineData("host-no-address", "mx.host-no-address.lab", DenialKind.NoData)]
    [InlineData("host-nxdomain", "missing.host-nxdomain.lab", DenialKind.NxDomain)]
    public async Task Host_without_addresses_gets_no_tlsa(string id, string hostName, DenialKind denial)
    {
        var host = Assert.Single((await ResolveAsync($"{id}.lab")).Hosts);
        Assert.Equal(hostName, host.Name);
        Assert.Equal(DnsOutcome.SecureDenial, host.A.Outcome);
        Assert.Equal(denial, host.A.Denial);
        Assert.Equal(DnsOutcome.SecureDenial, host.Aaaa.Outcome);
        Assert.Empty(host.TlsaLookups);
    }

    [Theory]
    [InlineData("multi-partial")]
    [InlineData("multi-backup-fails")]
    [InlineData("multi-backup-no-dane")]
    [InlineData("multi-primary-fails")]
    public async Task Several_mx_hosts_come_in_preference_order(string id)
    {
        var labCase = Lab.Cases.LabCatalogue.Get(id);
        var o = await ResolveAsync(labCase.Domain);
        Assert.True(o.Hosts.Count >= 2);
        Assert.Equal(labCase.Hosts.OrderBy(h => h.Preference).Select(h => h.Name), o.Hosts.Select(h => h.Name));
        Assert.Equal(o.Hosts.Select(h => h.Preference).Order(), o.Hosts.Select(h => h.Preference));
    }

    [Fact]
    public async Task Unknown_tlsa_values_are_kept_as_published()
    {
        var tlsa = Assert.Single(Assert.Single((await ResolveAsync("unknown-usage.lab")).Hosts).TlsaLookups);
        Assert.Equal(DnsOutcome.SecureAnswer, tlsa.Outcome);
        Assert.Contains(tlsa.Records, r => !Enum.IsDefined(r.Usage));
    }
}
