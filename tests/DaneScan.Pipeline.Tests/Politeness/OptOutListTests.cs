using System.Net;
using DaneScan.Core;
using DaneScan.Pipeline.Politeness;

namespace DaneScan.Pipeline.Tests.Politeness;

public class OptOutListTests
{
    private const string File = """
        # operators who asked not to be scanned
        Example.COM.
        *.wild.example
        bücher.de
        192.0.2.25          # one address
        2001:db8::25
        198.51.100.0/24
        2001:db8:1::/48
        10.0.0.0/33
        not a name
        1.2.3.4.5
        10.0.0.1/8
        """;

    private static async Task<(OptOutList List, IReadOnlyList<OptOutError> Errors)> ParseAsync()
    {
        using var reader = new StringReader(File);
        return await OptOutList.ParseAsync(reader);
    }

    [Fact]
    public async Task Domains_cover_themselves_and_their_subdomains_only()
    {
        var (list, _) = await ParseAsync();
        Assert.True(list.ContainsDomain("example.com"));
        Assert.True(list.ContainsDomain("mx1.mail.example.com"));
        Assert.True(list.ContainsDomain("EXAMPLE.com."));
        Assert.False(list.ContainsDomain("notexample.com"));
        Assert.False(list.ContainsDomain("com"));
        Assert.True(list.ContainsDomain("wild.example"));
        Assert.True(list.ContainsDomain("a.wild.example"));
        Assert.True(list.ContainsDomain("xn--bcher-kva.de"));
        Assert.False(list.ContainsDomain("example.org"));
    }

    [Fact]
    public async Task Addresses_and_ranges_match_v4_and_v6()
    {
        var (list, _) = await ParseAsync();
        Assert.True(list.ContainsAddress(IPAddress.Parse("192.0.2.25")));
        Assert.True(list.ContainsAddress(IPAddress.Parse("::ffff:192.0.2.25")));
        Assert.False(list.ContainsAddress(IPAddress.Parse("192.0.2.26")));
        Assert.True(list.ContainsAddress(IPAddress.Parse("2001:db8::25")));
        Assert.False(list.ContainsAddress(IPAddress.Parse("2001:db8::26")));
        Assert.True(list.ContainsAddress(IPAddress.Parse("198.51.100.0")));
        Assert.True(list.ContainsAddress(IPAddress.Parse("198.51.100.255")));
        Assert.False(list.ContainsAddress(IPAddress.Parse("198.51.101.0")));
        Assert.True(list.ContainsAddress(IPAddress.Parse("2001:db8:1:ffff::1")));
        Assert.False(list.ContainsAddress(IPAddress.Parse("2001:db8:2::1")));
    }

    [Fact]
    public async Task Bad_lines_are_reported_with_their_line_numbers()
    {
        var (list, errors) = await ParseAsync();
        Assert.Equal([9, 10, 11, 12], errors.Select(e => e.LineNumber));
        Assert.Equal(3, list.DomainCount);
        Assert.Equal(2, list.AddressCount);
        Assert.Equal(2, list.NetworkCount);
    }

    [Fact]
    public async Task Policy_refuses_opted_out_and_reserved_destinations_with_host_reasons()
    {
        var (list, _) = await ParseAsync();
        var policy = new PolitenessPolicy(list, new AddressPolicy());

        Assert.Equal(PolitenessRefusal.DomainOptedOut, policy.CheckDomain("shop.example.com").Refusal);
        Assert.True(policy.CheckDomain("example.net").Allowed);

        var host = policy.CheckProbe("mx.example.com", IPAddress.Parse("8.8.8.8"));
        Assert.Equal(PolitenessRefusal.HostOptedOut, host.Refusal);
        Assert.Equal(HostReason.OptedOut, host.HostReason);

        Assert.Equal(PolitenessRefusal.AddressOptedOut, policy.CheckProbe("mx.other.net", IPAddress.Parse("198.51.100.7")).Refusal);

        var reserved = policy.CheckProbe("mx.other.net", IPAddress.Parse("10.9.8.7"));
        Assert.Equal(PolitenessRefusal.ReservedAddress, reserved.Refusal);
        Assert.Equal(HostReason.ReservedAddress, reserved.HostReason);
        Assert.Contains("10.0.0.0/8", reserved.Detail, StringComparison.Ordinal);

        Assert.True(policy.CheckProbe("mx.other.net", IPAddress.Parse("8.8.4.4")).Allowed);
        var lab = new PolitenessPolicy(list, new AddressPolicy(allowSpecialPurpose: true));
        Assert.True(lab.CheckProbe("mx.other.net", IPAddress.Parse("127.0.0.25")).Allowed);
        Assert.Equal(PolitenessRefusal.AddressOptedOut, lab.CheckProbe("mx.other.net", IPAddress.Parse("192.0.2.25")).Refusal);
    }
}
