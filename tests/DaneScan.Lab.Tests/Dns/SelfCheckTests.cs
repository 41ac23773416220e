using DaneScan.Lab.Testing;

namespace DaneScan.Lab.Tests.Dns;

[Trait("Category", "Integration")]
[Collection(LabCollection.Name)]
public sealed class SelfCheckTests(LabFixture fixture)
{
    [Fact]
    public async Task Lab_unbound_passes_the_self_check_with_a_dnssec_bogus_ede()
    {
        var check = await fixture.Lab.CheckAsync();
        Assert.True(check.SignedNameAuthenticated);
        Assert.True(check.BogusNameServfail);
        Assert.Equal(6, check.BogusExtendedDnsError); // RFC 8914 "DNSSEC Bogus"
        Assert.True(fixture.Lab.SelfCheck!.Passed);
    }

    [Fact]
    public async Task A_server_that_does_not_validate_fails_the_self_check()
    {
        // nsd is authoritative only: it never sets AD and serves the tampered record as it is.
        var check = await LabEnvironment.CheckResolverAsync(fixture.Lab.Authoritative);
        Assert.False(check.Passed);
        Assert.False(check.SignedNameAuthenticated);
        Assert.False(check.BogusNameServfail);
    }

    [Fact]
    public async Task Delv_validates_the_lab_from_the_root_trust_anchor_independently_of_unbound()
    {
        var anchor = Path.Combine(fixture.Lab.StateDirectory, "delv-anchor.conf");
        await File.WriteAllTextAsync(anchor, fixture.Lab.DelvTrustAnchor());
        var ok = await Delv.QueryAsync(fixture.Lab.Resolver, anchor, LabEnvironment.SignedName, "TXT");
        Assert.True(ok.FullyValidated, ok.Raw);
        var bogus = await Delv.QueryAsync(fixture.Lab.Resolver, anchor, LabEnvironment.BogusName, "TXT");
        Assert.False(bogus.FullyValidated, bogus.Raw);
        Assert.True(bogus.ResolutionFailed, bogus.Raw);
    }
}
