using System.Net;
using System.Net.Sockets;

namespace DaneScan.Pipeline.Politeness;

/// <summary>One special-purpose address block (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890).</summary>
/// <param name="Network">The block.</param>
/// <param name="Name">Its registry name, for example "Private-Use".</param>
/// <param name="Reference">The RFC that assigns it.</param>
public sealed record SpecialPurposeBlock(IPNetwork Network, string Name, string Reference);

/// <summary>The decision about one destination address.</summary>
/// <param name="Allowed">Whether the scanner may connect.</param>
/// <param name="Address">The address as judged (IPv4-mapped IPv6 addresses are judged as IPv4).</param>
/// <param name="Block">The special-purpose block it falls in, if any (also when allowed by the lab option).</param>
public sealed record AddressDecision(bool Allowed, IPAddress Address, SpecialPurposeBlock? Block);

/// <summary>
/// Refuses destinations in special-purpose address blocks that are not globally reachable
/// (RFC 6890 and the IANA registries that continue it), plus multicast and the IPv4 "reserved" block,
/// unless the lab option allows them. A scanner that follows a hostile or broken MX record to
/// 10.0.0.1 or 127.0.0.1 would probe someone's internal network, or itself.
/// </summary>
/// <remarks>
/// Blocks that the registries mark globally reachable (AS112 192.31.196.0/24 and 192.175.48.0/24,
/// 6to4 2002::/16, NAT64 64:ff9b::/96) are allowed: real hosts may live there. 192.0.0.0/24 and
/// 2001::/23 are refused whole, including the few globally reachable anycast services inside them
/// (PCP, TURN, AMT), which run no SMTP.
/// </remarks>
public sealed class AddressPolicy
{
    /// <summary>The refused blocks, IPv4 first.</summary>
    public static IReadOnlyList<SpecialPurposeBlock> SpecialPurposeBlocks { get; } =
    [
        Block("0.0.0.0/8", "This network", "RFC 791"),
        Block("10.0.0.0/8", "Private-Use", "RFC 1918"),
        Block("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
        Block("127.0.0.0/8", "Loopback", "RFC 1122"),
        Block("169.254.0.0/16", "Link Local", "RFC 3927"),
        Block("172.16.0.0/12", "Private-Use", "RFC 1918"),
        Block("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),
        Block("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
        Block("192.88.99.0/24", "Deprecated 6to4 Relay Anycast", "RFC 7526"),
        Block("192.168.0.0/16", "Private-Use", "RFC 1918"),
        Block("198.18.0.0/15", "Benchmarking", "RFC 2544"),
        Block("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
        Block("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
        Block("224.0.0.0/4", "Multicast", "RFC 5771"),
        Block("240.0.0.0/4", "Reserved (incl. Limited Broadcast)", "RFC 1112, RFC 919"),
        Block("::/128", "Unspecified Address", "RFC 4291"),
        Block("::1/128", "Loopback Address", "RFC 4291"),
        Block("::/96", "Deprecated IPv4-Compatible Address", "RFC 4291"),
        Block("64:ff9b:1::/48", "IPv4-IPv6 Translation (local use)", "RFC 8215"),
        Block("100::/64", "Discard-Only Address Block", "RFC 6666"),
        Block("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
        Block("2001:db8::/32", "Documentation", "RFC 3849"),
        Block("3fff::/20", "Documentation", "RFC 9637"),
        Block("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
        Block("fc00::/7", "Unique-Local", "RFC 4193"),
        Block("fe80::/10", "Link-Local Unicast", "RFC 4291"),
        Block("fec0::/10", "Deprecated Site-Local", "RFC 3879"),
        Block("ff00::/8", "Multicast", "RFC 4291"),
    ];

    /// <param name="allowSpecialPurpose">Lab mode (<c>--allow-private</c>): allow every special-purpose block.</param>
    public AddressPolicy(bool allowSpecialPurpose = false) => AllowSpecialPurpose = allowSpecialPurpose;

    public bool AllowSpecialPurpose { get; }

    /// <summary>The special-purpose block an address falls in, or null for an ordinary global unicast address.</summary>
    public static SpecialPurposeBlock? Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var judged = Canonical(address);
        foreach (var block in SpecialPurposeBlocks)
        {
            if (block.Network.BaseAddress.AddressFamily == judged.AddressFamily && block.Network.Contains(judged))
            {
                return block;
            }
        }

        return null;
    }

    /// <summary>Whether the scanner may connect to an address.</summary>
    public AddressDecision Check(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var judged = Canonical(address);
        var block = Classify(judged);
        return new AddressDecision(block is null || AllowSpecialPurpose, judged, block);
    }

    /// <summary>IPv4-mapped IPv6 addresses as IPv4; IPv6 without its scope id.</summary>
    public static IPAddress Canonical(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            return new IPAddress(address.GetAddressBytes());
        }

        return address;
    }

    private static SpecialPurposeBlock Block(string cidr, string name, string reference) =>
        new(IPNetwork.Parse(cidr), name, reference);
}
