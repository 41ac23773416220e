using System.Net;
using DaneScan.Core;

namespace DaneScan.Pipeline.Politeness;

/// <summary>Why the policy refused to probe.</summary>
public enum PolitenessRefusal
{
    None,

    /// <summary>The destination domain, or a domain it is under, is on the opt-out list.</summary>
    DomainOptedOut,

    /// <summary>The MX host name, or a domain it is under, is on the opt-out list.</summary>
    HostOptedOut,

    /// <summary>The address is on the opt-out list, singly or by a range.</summary>
    AddressOptedOut,

    /// <summary>The address is in a special-purpose block and lab mode is off.</summary>
    ReservedAddress,
}

/// <summary>A politeness decision, with the reason a probe observation records when it is refused.</summary>
public sealed record PolitenessDecision(PolitenessRefusal Refusal, string? Detail)
{
    public static PolitenessDecision Allow { get; } = new(PolitenessRefusal.None, null);

    public bool Allowed => Refusal == PolitenessRefusal.None;

    /// <summary>The <see cref="HostReason"/> of a host that was not probed because of this decision.</summary>
    public HostReason HostReason => Refusal switch
    {
        PolitenessRefusal.None => HostReason.None,
        PolitenessRefusal.ReservedAddress => HostReason.ReservedAddress,
        _ => HostReason.OptedOut,
    };
}

/// <summary>The opt-out list and the address policy together: what may be looked up and what may be probed.</summary>
public sealed class PolitenessPolicy(OptOutList optOut, AddressPolicy addresses)
{
    public OptOutList OptOut { get; } = optOut ?? throw new ArgumentNullException(nameof(optOut));

    public AddressPolicy Addresses { get; } = addresses ?? throw new ArgumentNullException(nameof(addresses));

    /// <summary>Whether a destination domain may be scanned at all (checked when the lists are enumerated).</summary>
    public PolitenessDecision CheckDomain(string domain) =>
        OptOut.ContainsDomain(domain)
            ? new PolitenessDecision(PolitenessRefusal.DomainOptedOut, $"domain {domain} is opted out")
            : PolitenessDecision.Allow;

    /// <summary>Whether one (MX host, address) may be probed.</summary>
    public PolitenessDecision CheckProbe(string host, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(address);
        if (OptOut.ContainsDomain(host))
        {
            return new PolitenessDecision(PolitenessRefusal.HostOptedOut, $"host {host} is opted out");
        }

        if (OptOut.ContainsAddress(address))
        {
            return new PolitenessDecision(PolitenessRefusal.AddressOptedOut, $"address {address} is opted out");
        }

        var decision = Addresses.Check(address);
        return decision.Allowed
            ? PolitenessDecision.Allow
            : new PolitenessDecision(PolitenessRefusal.ReservedAddress,
                $"address {decision.Address} is in {decision.Block!.Network} ({decision.Block.Name}, {decision.Block.Reference}); lab mode allows it");
    }
}
