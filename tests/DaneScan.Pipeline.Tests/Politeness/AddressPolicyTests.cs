using System.Net;
using DaneScan.Pipeline.Politeness;

namespace DaneScan.Pipeline.Tests.Politeness;

public class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "Loopback")]
    [InlineData("127.255.255.254", "Loopback")]
    [InlineData("10.1.2.3", "Private-Use")]
    [InlineData("172.16.0.1", "Private-Use")]
    [InlineData("172.31.255.255", "Private-Use")]
    [InlineData("192.168.1.1", "Private-Use")]
    [InlineData("100.64.0.1", "Shared Address Space")]
    [InlineData("169.254.1.1", "Link Local")]
    [InlineData("0.1.2.3", "This network")]
    [InlineData("192.0.2.25", "Documentation (TEST-NET-1)")]
    [InlineData("198.51.100.25", "Documentation (TEST-NET-2)")]
    [InlineData("203.0.113.25", "Documentation (TEST-NET-3)")]
    [InlineData("198.19.0.1", "Benchmarking")]
    [InlineData("224.0.0.1", "Multicast")]
    [InlineData("255.255.255.255", "Reserved (incl. Limited Broadcast)")]
    [InlineData("::1", "Loopback Address")]
    [InlineData("::", "Unspecified Address")]
    [InlineData("fe80::1", "Link-Local Unicast")]
    [InlineData("fd00::25", "Unique-Local")]
    [InlineData("2001:db8::25", "Documentation")]
    [InlineData("ff02::1", "Multicast")]
    [InlineData("::ffff:10.0.0.1", "Private-Use")]
    [InlineData("::ffff:127.0.0.1", "Loopback")]
    public void Refuses_special_purpose_addresses(string address, string block)
    {
        var decision = new AddressPolicy().Check(IPAddress.Parse(address));
        Assert.False(decision.Allowed);
        Assert.Equal(block, decision.Block?.Name);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("192.0.3.1")]
    [InlineData("11.0.0.1")]
    [InlineData("2a00:1450:4001::1b")]
    [InlineData("2002:c000:0204::1")]
    [InlineData("::ffff:8.8.8.8")]
    public void Allows_global_unicast_addresses(string address)
    {
        var decision = new AddressPolicy().Check(IPAddress.Parse(address));
        Assert.True(decision.Allowed);
        Assert.Null(decision.Block);
    }

    [Fact]
    public void Lab_mode_allows_special_purpose_addresses_and_still_names_the_block()
    {
        var decision = new AddressPolicy(allowSpecialPurpose: true).Check(IPAddress.Parse("127.0.0.25"));
        Assert.True(decision.Allowed);
        Assert.Equal("Loopback", decision.Block?.Name);
    }
}
