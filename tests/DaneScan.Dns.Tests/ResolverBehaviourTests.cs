using DaneScan.Core;
using DaneScan.Lab;
using DaneScan.Lab.Cases;
using DnsClient;

namespace DaneScan.Dns.Tests;

/// <summary>The adapter's own promises, shown against the real lab resolvers.</summary>
[Trait("Category", "Integration")]
[Collection(DnsLabCollection.Name)]
public sealed class ResolverBehaviourTests(DnsLabFixture fixture)
{
    public static TheoryData<string, string, string> FailingRrsets()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var rrset in LabCatalogue.All.SelectMany(c => c.Rrsets).Where(r => r.Outcome is DnsOutcome.Bogus or DnsOutcome.LookupFailure))
        {
            data.Add(rrset.Name, rrset.Type, rrset.Outcome.ToString());
        }

        return data;
    }

    [Fact]
    public async Task Self_check_accepts_the_lab_validating_resolver()
    {
        var result = await ResolverSelfCheck.CheckAsync(fixture.Lab.Resolver, LabEnvironment.SignedName, LabEnvironment.BogusName);
        Assert.True(result.Status == ResolverValidation.Validating, result.Reason);
        Assert.True(result.Signed.IsSecure);
        Assert.Equal(DnsOutcome.Bogus, result.Broken.Outcome);
        Assert.NotNull(result.Broken.ExtendedDnsError);
    }

    [Fact]
    public async Task Self_check_refuses_a_resolver_that_does_not_validate()
    {
        var result = await ResolverSelfCheck.CheckAsync(fixture.PlainResolver, LabEnvironment.SignedName, LabEnvironment.BogusName);
        Assert.True(result.Status == ResolverValidation.NotValidating, result.Reason);
        Assert.Contains(result.Signed.Outcome, new[] { DnsOutcome.InsecureAnswer, DnsOutcome.InsecureDenial });
        Assert.False(result.Broken.IsFailure);
    }

    [Fact]
    public async Task Self_check_reports_a_silent_address_as_unreachable()
    {
        var dead = new System.Net.IPEndPoint(fixture.Lab.Options.Addresses.Dead, 53);
        var options = fixture.ResolverOptions(dead) with { AttemptTimeout = TimeSpan.FromMilliseconds(500), QueryDeadline = TimeSpan.FromSeconds(2) };
        var result = await ResolverSelfCheck.CheckAsync(options, LabEnvironment.SignedName, LabEnvironment.BogusName);
        Assert.True(result.Status == ResolverValidation.Unreachable, result.Reason);
    }

    [Fact]
    public async Task A_plain_resolver_never_yields_a_secure_outcome()
    {
        var plain = new ValidatingResolver(fixture.ResolverOptions(fixture.PlainResolver));
        var mx = await plain.LookupMxAsync("ee-11.lab");
        Assert.Equal(DnsOutcome.InsecureAnswer, mx.Outcome);
        var denied = await plain.LookupTlsaAsync("_25._tcp.nothing-here.ee-11.lab");
        Assert.Equal(DnsOutcome.InsecureDenial, denied.Outcome);
        Assert.Equal(DenialKind.NxDomain, denied.Denial);
    }

    [Theory]
    [MemberData(nameof(FailingRrsets))]
    public async Task Without_ede_the_cd_requery_still_tells_bogus_from_failure(string name, string type, string expected)
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions(fixture.NoEdeResolver));
        var observed = await LabCatalogueTests.LookupAsync(resolver, name, type);
        Assert.True(expected == observed.Outcome.ToString(), $"{name} {type}: expected {expected}, got {observed.Outcome} ({observed.Failure}, {observed.Detail})");
        Assert.Null(observed.ExtendedDnsError);
    }

    [Fact]
    public async Task Without_cd_requery_and_without_ede_bogus_is_only_a_failure()
    {
        // The control for the test above: the CD re-query is what makes the difference.
        var bogus = LabCatalogue.All.SelectMany(c => c.Rrsets).FirstOrDefault(r => r.Outcome == DnsOutcome.Bogus);
        Assert.NotNull(bogus);
        var resolver = new ValidatingResolver(fixture.ResolverOptions(fixture.NoEdeResolver) with { CheckingDisabledRequery = false });
        var observed = await LabCatalogueTests.LookupAsync(resolver, bogus.Name, bogus.Type);
        Assert.Equal(DnsOutcome.LookupFailure, observed.Outcome);
        Assert.Equal(LookupFailureKind.ServFail, observed.Failure);
    }

    [Fact]
    public async Task A_truncated_udp_answer_is_retried_over_tcp()
    {
        const string owner = "_25._tcp.mx.ee-00.lab"; // a whole certificate (3 0 0) with its RRSIG
        var small = fixture.ResolverOptions() with { EdnsBufferSize = 512 };

        // Over UDP alone the answer does not fit in 512 bytes ...
        var udpOnly = new LookupClient(new LookupClientOptions(fixture.Lab.Resolver)
        {
            UseCache = false,
            RequestDnsSecRecords = true,
            ExtendedDnsBufferSize = 512,
            UseTcpFallback = false,
            ThrowDnsErrors = false,
        });
        var truncated = await Assert.ThrowsAsync<DnsResponseException>(() => udpOnly.QueryAsync(owner, QueryType.TLSA));
        Assert.Contains("truncated", truncated.Message, StringComparison.OrdinalIgnoreCase);

        // ... and the adapter still gets the whole RRset, secure.
        var tlsa = await new ValidatingResolver(small).LookupTlsaAsync(owner);
        Assert.Equal(DnsOutcome.SecureAnswer, tlsa.Outcome);
        var record = Assert.Single(tlsa.Records);
        Assert.Equal(TlsaUsage.DaneEe, record.Usage);
        Assert.Equal(TlsaSelector.Cert, record.Selector);
        Assert.Equal(TlsaMatchingType.Full, record.MatchingType);
        Assert.True(record.Data.Length > 200);
    }

    [Fact]
    public async Task A_silent_resolver_is_a_timeout_not_an_exception()
    {
        var dead = new System.Net.IPEndPoint(fixture.Lab.Options.Addresses.Dead, 53);
        var resolver = new ValidatingResolver(fixture.ResolverOptions(dead) with { AttemptTimeout = TimeSpan.FromMilliseconds(300), Retries = 1, QueryDeadline = TimeSpan.FromSeconds(2) });
        var mx = await resolver.LookupMxAsync("ee-11.lab");
        Assert.Equal(DnsOutcome.LookupFailure, mx.Outcome);
        Assert.Contains(mx.Failure, new[] { LookupFailureKind.Timeout, LookupFailureKind.NetworkError });
        Assert.Empty(mx.Records);
    }

    [Fact]
    public async Task The_callers_cancellation_is_thrown_not_recorded()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var resolver = new DomainResolver(fixture.ResolverOptions());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.ResolveAsync("ee-11.lab", cancelled.Token));
    }

    [Fact]
    public async Task Cancelling_a_lookup_in_flight_throws_rather_than_reporting_a_timeout()
    {
        var dead = new System.Net.IPEndPoint(fixture.Lab.Options.Addresses.Dead, 53);
        var resolver = new ValidatingResolver(fixture.ResolverOptions(dead) with { AttemptTimeout = TimeSpan.FromSeconds(5), QueryDeadline = TimeSpan.FromSeconds(10) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.LookupMxAsync("ee-11.lab", cancel.Token));
    }

    [Fact]
    public async Task Answers_keep_their_ttl_and_denials_the_soa_minimum()
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions());
        var mx = await resolver.LookupMxAsync("ee-11.lab");
        Assert.Equal(DnsOutcome.SecureAnswer, mx.Outcome);
        Assert.InRange(mx.Ttl!.Value, 1u, 86400u);
        var denied = await resolver.LookupTlsaAsync("_25._tcp.no-such-host.ee-11.lab");
        Assert.Equal(DnsOutcome.SecureDenial, denied.Outcome);
        Assert.Equal(DenialKind.NxDomain, denied.Denial);
        var soa = await resolver.LookupAsync("ee-11.lab", QueryType.SOA, "SOA", r => r as DnsClient.Protocol.SoaRecord);
        var zoneSoa = Assert.Single(soa.Records);
        Assert.NotNull(denied.Ttl);
        Assert.InRange(denied.Ttl.Value, 0u, zoneSoa.Minimum);
    }
}
