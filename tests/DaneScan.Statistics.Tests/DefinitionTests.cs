using DaneScan.Core;
using static DaneScan.Statistics.Tests.Verdicts;

namespace DaneScan.Statistics.Tests;

/// <summary>One test per definition of docs/dataset.md ("Definitions"), with expectations worked out by hand from the definition.</summary>
public sealed class DefinitionTests
{
    [Theory]
    [InlineData(DnsOutcome.SecureAnswer, MxSecurity.Secure)]
    [InlineData(DnsOutcome.SecureDenial, MxSecurity.Secure)]
    [InlineData(DnsOutcome.InsecureAnswer, MxSecurity.Insecure)]
    [InlineData(DnsOutcome.InsecureDenial, MxSecurity.Insecure)]
    [InlineData(DnsOutcome.Bogus, MxSecurity.Indeterminate)]
    [InlineData(DnsOutcome.LookupFailure, MxSecurity.Indeterminate)]
    public void Mx_security_is_secure_for_validated_answers_and_denials_insecure_for_unsigned_zones_and_indeterminate_otherwise(DnsOutcome mx, MxSecurity expected) =>
        Assert.Equal(expected, StatisticsDefinitions.MxSecurityOf(mx));

    [Fact]
    public void Verified_needs_a_secure_MX_RRset_and_every_host_authenticated()
    {
        var c = StatisticsDefinitions.Classify(Domain("a.example", DnsOutcome.SecureAnswer, Authenticated("mx1.a.example"), Authenticated("mx2.a.example", primary: false)));
        Assert.Equal((DaneState.Verified, DaneState.Verified, true), (c.All, c.Primary, c.DaneProtected));
    }

    [Fact]
    public void The_same_hosts_behind_an_insecure_MX_RRset_are_Trusted_and_not_DANE_protected()
    {
        var c = StatisticsDefinitions.Classify(Domain("b.example", DnsOutcome.InsecureAnswer, Authenticated("mx1.b.example"), Authenticated("mx2.b.example", primary: false)));
        Assert.Equal((DaneState.Trusted, DaneState.Trusted, false), (c.All, c.Primary, c.DaneProtected));
        Assert.Equal(MxSecurity.Insecure, c.MxSecurity);
        Assert.False(c.SurveySigned);
        Assert.False(c.SurveyProtected);
    }

    [Fact]
    public void Other_states_keep_their_names_whatever_the_MX_security()
    {
        var secure = StatisticsDefinitions.Classify(Domain("c.example", DnsOutcome.SecureAnswer, NoStartTls("mx.c.example")));
        var insecure = StatisticsDefinitions.Classify(Domain("d.example", DnsOutcome.InsecureAnswer, NoStartTls("mx.d.example")));
        Assert.Equal((DaneState.Failing, MxSecurity.Secure), (secure.All, secure.MxSecurity));
        Assert.Equal((DaneState.Failing, MxSecurity.Insecure), (insecure.All, insecure.MxSecurity));
    }

    [Fact]
    public void Primary_and_all_views_differ_when_only_a_secondary_fails()
    {
        var c = StatisticsDefinitions.Classify(Domain("e.example", DnsOutcome.SecureAnswer, Authenticated("mx1.e.example"), NoStartTls("mx2.e.example", primary: false)));
        Assert.Equal((DaneState.Verified, DaneState.Failing), (c.Primary, c.All));
        Assert.False(c.DaneProtected);
        Assert.True(c.SurveyProtected); // the survey looks at primary hosts only
    }

    [Fact]
    public void Survey_skips_a_primary_host_that_accepted_no_connection()
    {
        // Two primary hosts: one refuses connections, the other authenticates. The survey counts the domain; the primary view calls it Failing.
        var c = StatisticsDefinitions.Classify(Domain("f.example", DnsOutcome.SecureAnswer, Unreachable("mx1.f.example"), Authenticated("mx2.f.example")));
        Assert.True(c.SurveyProtected);
        Assert.Equal(DaneState.Failing, c.Primary);
    }

    [Fact]
    public void Survey_counts_a_host_by_the_addresses_that_accepted_connections()
    {
        var host = Host("mx.g.example", true,
            Address("192.0.2.1", HostOutcome.Authenticated, HostReason.DaneEeMatched),
            Address("2001:db8::1", HostOutcome.Unreachable, HostReason.Timeout));
        Assert.True(StatisticsDefinitions.Classify(Domain("g.example", DnsOutcome.SecureAnswer, host)).SurveyProtected);

        var broken = Host("mx.h.example", true,
            Address("192.0.2.1", HostOutcome.Authenticated, HostReason.DaneEeMatched),
            Address("192.0.2.2", HostOutcome.AuthenticationFailed, HostReason.NoMatchingRecord));
        Assert.False(StatisticsDefinitions.Classify(Domain("h.example", DnsOutcome.SecureAnswer, broken)).SurveyProtected);
    }

    [Fact]
    public void Survey_treats_a_4xx_or_5xx_greeting_as_not_accepting_but_a_protocol_error_as_accepting()
    {
        var refused = Host("mx1.i.example", true, Address("192.0.2.3", HostOutcome.Unreachable, HostReason.ServiceRefused));
        Assert.True(StatisticsDefinitions.Classify(Domain("i.example", DnsOutcome.SecureAnswer, refused, Authenticated("mx2.i.example"))).SurveyProtected);

        var garbled = Host("mx1.j.example", true, Address("192.0.2.4", HostOutcome.Unreachable, HostReason.SmtpProtocolError));
        Assert.False(StatisticsDefinitions.Classify(Domain("j.example", DnsOutcome.SecureAnswer, garbled, Authenticated("mx2.j.example"))).SurveyProtected);
    }

    [Fact]
    public void Survey_needs_TLSA_at_every_accepting_primary_host_and_at_least_one_such_host()
    {
        Assert.False(StatisticsDefinitions.Classify(Domain("k.example", DnsOutcome.SecureAnswer, Authenticated("mx1.k.example"), NotDane("mx2.k.example"))).SurveyProtected);
        var none = StatisticsDefinitions.Classify(Domain("l.example", DnsOutcome.SecureAnswer, Unreachable("mx1.l.example")));
        Assert.False(none.SurveyProtected);
        Assert.True(none.SurveySigned);
    }

    [Fact]
    public void Survey_denominator_is_signed_domains_with_hosts_to_judge()
    {
        Assert.True(StatisticsDefinitions.Classify(Domain("m.example", DnsOutcome.SecureAnswer, NotDane("mx.m.example"))).SurveySigned);
        Assert.False(StatisticsDefinitions.Classify(Domain("n.example", DnsOutcome.SecureAnswer)).SurveySigned); // null MX
        Assert.False(StatisticsDefinitions.Classify(Domain("o.example", DnsOutcome.Bogus, NotDane("mx.o.example"))).SurveySigned);
    }

    [Theory]
    [InlineData(1L, new[] { "top-1k", "top-10k", "top-100k", "top-1m" })]
    [InlineData(1_000L, new[] { "top-1k", "top-10k", "top-100k", "top-1m" })]
    [InlineData(1_001L, new[] { "top-10k", "top-100k", "top-1m" })]
    [InlineData(100_000L, new[] { "top-100k", "top-1m" })]
    [InlineData(1_000_000L, new[] { "top-1m" })]
    [InlineData(1_000_001L, new[] { "beyond-1m" })]
    [InlineData(null, new[] { "unranked" })]
    public void Rank_buckets_are_cumulative_tops(long? rank, string[] expected) =>
        Assert.Equal(expected, StatisticsDefinitions.RankBuckets(rank));
}
