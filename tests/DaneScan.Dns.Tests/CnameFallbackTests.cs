using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>
/// RFC 7672 §2.2.3: when the TLSA lookup at the CNAME target fails or is bogus, a sender does not fall
/// back to the original name. Shown on the fixture's own signed zone <c>extra.test</c>, where the original
/// name does carry a (secure) TLSA RRset that a wrong fallback would find.
/// </summary>
[Trait("Category", "Integration")]
[Collection(DnsLabCollection.Name)]
public sealed class CnameFallbackTests(DnsLabFixture fixture)
{
    private DomainResolver Resolver => new(fixture.ResolverOptions(fixture.ExtraResolver));

    [Fact]
    public async Task The_original_names_tlsa_is_there_to_be_found()
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions(fixture.ExtraResolver));
        Assert.Equal(DnsOutcome.SecureAnswer, (await resolver.LookupTlsaAsync("_25._tcp.mx.cname-bogus.extra.test")).Outcome);
        Assert.Equal(DnsOutcome.SecureAnswer, (await resolver.LookupTlsaAsync("_25._tcp.mx.cname-failing.extra.test")).Outcome);
    }

    [Fact]
    public async Task Bogus_tlsa_at_the_target_is_final()
    {
        var o = await Resolver.ResolveAsync("cname-bogus.extra.test");
        Assert.Equal(DnsOutcome.SecureAnswer, o.Mx.Outcome);
        var host = Assert.Single(o.Hosts);
        Assert.Equal(DnsOutcome.SecureAnswer, host.A.Outcome);
        Assert.Equal(["smtp.bogus-tlsa.extra.test"], host.A.CnameChain);
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.smtp.bogus-tlsa.extra.test", tlsa.Name);
        Assert.Equal(DnsOutcome.Bogus, tlsa.Outcome);
        Assert.Equal("smtp.bogus-tlsa.extra.test", host.TlsaBase);
        Assert.Equal((HostOutcome.TlsaLookupFailed, HostReason.TlsaBogus), DaneJudge.HostDnsVerdict(host) is { } v ? (v.Outcome, v.Reason) : default);
    }

    [Fact]
    public async Task Failed_tlsa_lookup_at_the_target_is_final()
    {
        var o = await Resolver.ResolveAsync("cname-failing.extra.test");
        var host = Assert.Single(o.Hosts);
        Assert.Equal(DnsOutcome.SecureAnswer, host.A.Outcome);
        var tlsa = Assert.Single(host.TlsaLookups);
        Assert.Equal("_25._tcp.smtp.failing-tlsa.extra.test", tlsa.Name);
        Assert.Equal(DnsOutcome.LookupFailure, tlsa.Outcome);
        Assert.Equal((HostOutcome.TlsaLookupFailed, HostReason.TlsaLookupFailure), DaneJudge.HostDnsVerdict(host) is { } v ? (v.Outcome, v.Reason) : default);
    }
}
