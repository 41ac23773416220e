using DaneScan.Core;
using static DaneScan.Statistics.Tests.Verdicts;

namespace DaneScan.Statistics.Tests;

/// <summary>
/// A five-domain run whose every number is worked out by hand below from the definitions (docs/dataset.md):
/// <code>
/// a.co.uk       MX secure    mx1.provider.co.uk (auth, 192.0.2.1)                  Verified, survey ✓
/// b.example.com MX insecure  mx1.provider.co.uk (auth, 192.0.2.1)                  Trusted
/// c.example.com MX secure    mx.c.example.com (no TLSA, 192.0.2.9)                 NotDane, survey ✗ (signed)
/// d.example.org MX insecure  mx.d.example.org (no STARTTLS, 192.0.2.8)             Failing (MX insecure)
/// e.example.org MX secure    mx1.provider.co.uk (auth) + mx2.e.example.org (NotDane, secondary)
///                                                                                  primary Verified, all Partial, survey ✓
/// </code>
/// </summary>
public sealed class BuilderTests
{
    private static RunStatisticsReport Build()
    {
        var b = new RunStatisticsBuilder("run-1", PublicSuffixList.Default);
        b.AddDomain(Domain("a.co.uk", DnsOutcome.SecureAnswer, Authenticated("mx1.provider.co.uk")), rank: 10);
        b.AddDomain(Domain("b.example.com", DnsOutcome.InsecureAnswer, Authenticated("mx1.provider.co.uk")), rank: 5_000);
        b.AddDomain(Domain("c.example.com", DnsOutcome.SecureAnswer, NotDane("mx.c.example.com")));
        b.AddDomain(Domain("d.example.org", DnsOutcome.InsecureAnswer, NoStartTls("mx.d.example.org")), rank: 2_000_000);
        b.AddDomain(Domain("e.example.org", DnsOutcome.SecureAnswer, Authenticated("mx1.provider.co.uk"), NotDane("mx2.e.example.org", primary: false, ip: "192.0.2.10")));
        return b.Build(DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void Headline_counts_Verified_only_and_Trusted_apart()
    {
        var h = Build().Totals.Headline;
        Assert.Equal(new HeadlineCounts(Domains: 5, DaneProtected: 1, Trusted: 1, VerifiedPrimary: 2, TrustedPrimary: 1, SurveySigned: 3, SurveyProtected: 2), h);
    }

    [Fact]
    public void Every_state_is_split_by_MX_security()
    {
        var t = Build().Totals;
        Assert.Equal(new MxSplit(1, 0, 0), t.All[DaneState.Verified]);
        Assert.Equal(new MxSplit(0, 1, 0), t.All[DaneState.Trusted]);
        Assert.Equal(new MxSplit(1, 0, 0), t.All[DaneState.NotDane]);
        Assert.Equal(new MxSplit(0, 1, 0), t.All[DaneState.Failing]);
        Assert.Equal(new MxSplit(1, 0, 0), t.All[DaneState.Partial]);
        Assert.Equal(new MxSplit(2, 0, 0), t.Primary[DaneState.Verified]);
        Assert.Equal(5, t.All.Values.Sum(s => s.Total));
        Assert.Equal(new Dictionary<MxSecurity, long> { [MxSecurity.Secure] = 3, [MxSecurity.Insecure] = 2 }, t.MxSecurity);
    }

    [Fact]
    public void Hosts_and_addresses_are_weighted_each_once_and_by_the_domains_they_serve()
    {
        var t = Build().Totals;
        // Distinct hosts: mx1.provider.co.uk, mx.c.example.com, mx.d.example.org, mx2.e.example.org.
        Assert.Equal(4, t.MxHosts.Total);
        Assert.Equal(1, t.MxHosts.ByOutcome[HostOutcome.Authenticated]);
        Assert.Equal(2, t.MxHosts.ByOutcome[HostOutcome.NotDane]);
        // (domain, host) pairs: the provider's host serves three domains.
        Assert.Equal(3, t.MxHosts.DomainPairsByOutcome[HostOutcome.Authenticated]);
        Assert.Equal(new KeyCount("mx1.provider.co.uk", 3), t.TopMxHosts[0]);
        // (host, address) pairs: 4, on the addresses .1, .8, .9 and .10.
        Assert.Equal(4, t.Addresses.Total);
        Assert.Equal(4, t.Addresses.DistinctAddresses);
        // Distinct hosts with a secure TLSA RRset: the provider's (3 1 1) and mx.d.example.org (3 1 1).
        Assert.Equal(2, t.MxHosts.TlsaParameters["3 1 1"]);
        Assert.Equal(2, t.MxHosts.DaneUsage["dane-ee"]);
        Assert.Equal(1, t.MxHosts.FailureResultTypes[Rfc8460ResultType.StartTlsNotSupported]);
    }

    [Fact]
    public void Breakdowns_use_the_public_suffix_list_and_carry_the_headline_per_row()
    {
        var r = Build().Breakdowns;
        Row Of(BreakdownDimension d, string key) => new(r[d].Single(x => x.Key == key));

        Assert.Equal([("uk", 1L), ("com", 2L), ("org", 2L)], r[BreakdownDimension.Tld].Select(x => (x.Key, x.Domains)).OrderBy(x => x.Key == "uk" ? 0 : 1).ThenBy(x => x.Key));
        Assert.Equal((1L, 1L), (Of(BreakdownDimension.PublicSuffix, "co.uk").Domains, Of(BreakdownDimension.PublicSuffix, "co.uk").Protected));
        Assert.Equal("a.co.uk", Assert.Single(r[BreakdownDimension.RegistrableDomain], x => x.Key.EndsWith("co.uk", StringComparison.Ordinal)).Key);

        // MX provider = registrable domain of each primary MX host.
        var provider = Of(BreakdownDimension.MxProvider, "provider.co.uk");
        Assert.Equal((3L, 1L, 1L, 2L), (provider.Domains, provider.Protected, provider.Trusted, provider.Survey));
        Assert.Equal(new MxSplit(0, 1, 0), provider.Raw.States[DaneState.Trusted]);
        Assert.DoesNotContain(r[BreakdownDimension.MxProvider], x => x.Key == "e.example.org"); // a secondary only

        Assert.Equal(4, Of(BreakdownDimension.TlsaParameters, "3 1 1").Domains);
        Assert.Equal(1, Of(BreakdownDimension.TlsaParameters, RunStatisticsBuilder.NoTlsa).Domains);
        Assert.Equal(1, Of(BreakdownDimension.FailureResultType, "starttls-not-supported").Domains);
        Assert.Equal(1, Of(BreakdownDimension.FailureReason, "StartTlsNotOffered").Domains);
        Assert.Equal([("top-1k", 1L), ("top-10k", 2L), ("top-100k", 2L), ("top-1m", 2L), ("beyond-1m", 1L), ("unranked", 2L)],
            StatisticsDefinitions.RankBucketNames.Select(k => (k, r[BreakdownDimension.RankBucket].SingleOrDefault(x => x.Key == k)?.Domains ?? 0)));
    }

    [Fact]
    public void The_flat_counts_hold_the_same_numbers_under_documented_keys()
    {
        var c = StatisticsCounts.ToCounts(Build());
        Assert.Equal(2, c[StatisticsCounts.SchemaKey]);
        Assert.Equal(1, c["domains.headline|dane_protected"]);
        Assert.Equal(1, c["domains.headline|trusted"]);
        Assert.Equal(2, c["domains.headline|survey_protected"]);
        Assert.Equal(1, c["domains.all|Verified"]);
        Assert.Equal(1, c["domains.all.mx_insecure|Trusted"]);
        Assert.Equal(0, c["domains.all.mx_secure|Trusted"]);
        Assert.False(c.ContainsKey("domains.all|Protected"));
        Assert.Equal(4, c["domains.by_tlsa_parameters|3 1 1"]);
    }

    [Fact]
    public void The_text_report_labels_the_headline_and_what_each_weight_counts()
    {
        var text = StatisticsText.Render(Build());
        Assert.Matches(@"DANE-protected \(Verified, all MX\) +1 +20\.0%", text);
        Assert.Matches(@"Trusted \(MX RRset insecure, all MX\) +1 +20\.0%", text);
        Assert.Matches(@"survey-comparable \(of DNSSEC-signed\) +2 +66\.7% of 3 signed", text);
        Assert.Contains("MX hosts by outcome (distinct hosts):", text, StringComparison.Ordinal);
        Assert.Contains("(MX host, address) pairs by outcome:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_counts_once_in_a_breakdown_row_however_many_of_its_hosts_give_that_key()
    {
        // f: two primary hosts of one provider, both authenticated by a 3 1 1 record. g: two unreachable hosts of
        // its own, both publishing 3 1 1, both failing with the same reason. Four hosts, two domains: every key
        // counts a domain once.
        var b = new RunStatisticsBuilder("run-1", PublicSuffixList.Default);
        b.AddDomain(Domain("f.example.net", DnsOutcome.SecureAnswer,
            Authenticated("mx1.provider.co.uk"), Authenticated("mx2.provider.co.uk", ip: "192.0.2.2")));
        b.AddDomain(Domain("g.example.net", DnsOutcome.SecureAnswer,
            Unreachable("mx1.g.example.net"), Unreachable("mx2.g.example.net", ip: "192.0.2.6")));
        var r = b.Build(DateTimeOffset.UnixEpoch).Breakdowns;
        long Domains(BreakdownDimension d, string key) => r[d].Single(x => x.Key == key).Domains;

        Assert.Equal(1, Domains(BreakdownDimension.MxProvider, "provider.co.uk"));
        Assert.Equal(1, Domains(BreakdownDimension.MxProvider, "example.net"));
        Assert.Equal(2, Domains(BreakdownDimension.TlsaParameters, "3 1 1"));
        Assert.Equal(2, Domains(BreakdownDimension.DaneUsage, "dane-ee"));
        Assert.Equal(1, Domains(BreakdownDimension.FailureReason, "ConnectFailed"));
        Assert.Equal(1, Domains(BreakdownDimension.FailureReason, RunStatisticsBuilder.NoneKey));
        Assert.Equal(2, Domains(BreakdownDimension.Tld, "net"));
        Assert.All(r, dimension => Assert.Equal(2, dimension.Value.Sum(x => x.Domains)));
    }

    private sealed record Row(BreakdownRow Raw)
    {
        public long Domains => Raw.Domains;

        public long Protected => Raw.DaneProtected;

        public long Trusted => Raw.Trusted;

        public long Survey => Raw.SurveyProtected;
    }
}
