using System.Text.Json;

namespace DaneScan.EndToEnd.Tests;

/// <summary><c>danescan check</c> as a user runs it against the lab.</summary>
[Trait("Category", "Integration")]
[Collection(EndToEndCollection.Name)]
public sealed class CheckCommandTests(EndToEndLab fixture)
{
    private string[] Lab(params string[] args) => [.. args, "--lab", fixture.Lab.StateDirectory];

    [Fact]
    public async Task Report_shows_the_verdict_the_matched_record_and_the_chain()
    {
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("all MX: Protected", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Authenticated / DaneEeMatched", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("DANE-EE SPKI SHA2-256  [usable]  MATCHED at depth 0", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("chain[0]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("SNI mx.ee-11.lab", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_is_the_versioned_observation_and_verdict()
    {
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab", "--json"));

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("danescan.check", root.GetProperty("schema").GetString());
        Assert.Equal("ee-11.lab", root.GetProperty("observation").GetProperty("payload").GetProperty("dns").GetProperty("domain").GetString());
        Assert.Equal("Protected", root.GetProperty("verdict").GetProperty("payload").GetProperty("all").GetString());
    }

    [Fact]
    public async Task Ttls_are_the_zones_own_not_the_resolver_cache_countdown()
    {
        // Ask twice: the second answer comes from unbound's cache with a TTL counting down; the zone's TTL
        // (from the RRSIG) is what TTL advice must judge.
        await Cli.RunAsync(Lab("check", "ee-12.lab", "--json"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var result = await Cli.RunAsync(Lab("check", "ee-12.lab", "--json"));

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var dns = doc.RootElement.GetProperty("observation").GetProperty("payload").GetProperty("dns");
        var mx = dns.GetProperty("mx");
        Assert.Equal(300u, mx.GetProperty("originalTtl").GetUInt32());
        Assert.True(mx.GetProperty("ttl").GetUInt32() < 300u, "the second answer should come from the resolver's cache");
        var tlsa = dns.GetProperty("hosts")[0].GetProperty("tlsaLookups")[0];
        Assert.Equal(1800u, tlsa.GetProperty("originalTtl").GetUInt32());
        var findings = doc.RootElement.GetProperty("verdict").GetProperty("payload").GetProperty("findings").EnumerateArray()
            .Select(f => f.GetProperty("code").GetString());
        Assert.DoesNotContain("TlsaTtlOutOfRange", findings);
    }

    [Theory]
    [InlineData("exa mple.lab", "InvalidCharacter")]
    [InlineData("-bad.lab", "HyphenAtLabelEdge")]
    [InlineData("a..lab", "EmptyLabel")]
    [InlineData("lab", "SingleLabel")]
    public async Task Malformed_domain_gets_a_clear_error_and_no_stack_trace(string domain, string reason)
    {
        var result = await Cli.RunAsync(Lab("check", domain));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"is not a domain name", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_long_label_gets_a_clear_error()
    {
        var result = await Cli.RunAsync(Lab("check", new string('a', 64) + ".lab"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("LabelTooLong", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unicode_name_is_converted_to_a_labels()
    {
        // Not in the lab: the point is that the name is normalised and looked up, and the answer is NXDOMAIN.
        var result = await Cli.RunAsync(Lab("check", "BÜCHER.Lab.", "--json"));

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var verdict = doc.RootElement.GetProperty("verdict").GetProperty("payload");
        Assert.Equal("xn--bcher-kva.lab", verdict.GetProperty("domain").GetString());
        Assert.Equal("NxDomain", verdict.GetProperty("mxStatus").GetString());
    }

    [Fact]
    public async Task A_resolver_that_does_not_validate_is_refused()
    {
        // The lab's authoritative server answers without the AD bit: as a resolver it does not validate.
        var nsd = fixture.Lab.Authoritative.ToString();
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab", "--resolver", nsd));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("failed the DNSSEC self-check", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Going_on_with_a_non_validating_resolver_says_so_in_the_output()
    {
        var nsd = fixture.Lab.Authoritative.ToString();
        var result = await Cli.RunAsync(Lab("check", "ee-11.lab", "--resolver", nsd, "--insecure-resolver"));

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("WARNING: the resolver", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("UnverifiedResolver", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loopback_addresses_are_refused_outside_lab_mode()
    {
        var resolver = fixture.Lab.Resolver.ToString();
        var result = await Cli.RunAsync("check", "ee-11.lab", "--resolver", resolver, "--insecure-resolver", "--smtp-port", fixture.Lab.Options.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("NotProbed / ReservedAddress", result.Stdout, StringComparison.Ordinal);
    }
}
