namespace DaneScan.Core;

/// <summary>How the answers for an MX host name stand for DANE (docs/dane-rules.md §2, RFC 7672 §2.2.2).</summary>
public enum HostNameSecurity
{
    /// <summary>
    /// No address RRset of the host is insecure: the address answers validated, CNAME chain included (or they
    /// failed, or hold no addresses, which the verdict tells apart). TLSA at the chain's final target first.
    /// </summary>
    Secure,

    /// <summary>The first answer for the host name (its own CNAME record, or its own address records) is not DNSSEC-signed: not DANE, no TLSA lookup.</summary>
    Insecure,

    /// <summary>
    /// The "insecure CNAME" case of RFC 7672 §2.2.2: the host name's own CNAME record validated, a later link of
    /// the chain or the final address RRset did not. The host name is still a secure name: TLSA applies at it,
    /// and only at it.
    /// </summary>
    InsecureCname,

    /// <summary>
    /// An address answer is insecure and came through CNAMEs, and the lookup of the host name's own CNAME record
    /// (which tells <see cref="Insecure"/> from <see cref="InsecureCname"/>) was bogus or failed.
    /// </summary>
    Undetermined,
}

/// <summary>
/// The rule of docs/dane-rules.md §2 and §3 for an MX host name reached through CNAMEs, written once: the resolver uses
/// it to decide which lookups to make, the judge to read them. Pure.
/// </summary>
/// <remarks>
/// A validating resolver sets one AD bit for a whole answer, CNAME chain included, so an insecure address answer
/// does not say which link was unsigned. When it came through CNAMEs, the CNAME record of each name of the chain
/// is looked up on its own (<see cref="MxHostObservation.CnameLookups"/>), in order from the host name, until one
/// does not validate: the first of them decides between <see cref="HostNameSecurity.Insecure"/> and
/// <see cref="HostNameSecurity.InsecureCname"/>; the rest record where the chain turned insecure.
/// </remarks>
public static class AddressChain
{
    /// <summary>Whether a lookup is an insecure answer or denial.</summary>
    public static bool IsInsecure(RrsetObservation<string> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return lookup.Outcome is DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial;
    }

    /// <summary>
    /// The CNAME chain of the first insecure address RRset (A, then AAAA), or empty when no address RRset is
    /// insecure or the insecure one came without CNAMEs.
    /// </summary>
    public static IReadOnlyList<string> InsecureChain(RrsetObservation<string> a, RrsetObservation<string> aaaa)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(aaaa);
        if (IsInsecure(a) && a.CnameChain.Count > 0)
        {
            return a.CnameChain;
        }

        if (IsInsecure(aaaa) && aaaa.CnameChain.Count > 0)
        {
            return aaaa.CnameChain;
        }

        return [];
    }

    /// <summary>
    /// The owner names of the chain's CNAME links, in order: the host name, then every name of the chain but the
    /// last (whose own answer is the address RRset).
    /// </summary>
    public static IReadOnlyList<string> LinkOwners(string hostName, IReadOnlyList<string> chain)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        ArgumentNullException.ThrowIfNull(chain);
        var owners = new List<string>(chain.Count) { hostName };
        for (var i = 0; i + 1 < chain.Count; i++)
        {
            owners.Add(chain[i]);
        }

        return owners;
    }

    /// <summary>Whether the CNAME lookup of link <paramref name="index"/> validated and points where the address answer's chain went.</summary>
    public static bool LinkIsSecure(RrsetObservation<string> cnameLookup, IReadOnlyList<string> chain, int index)
    {
        ArgumentNullException.ThrowIfNull(cnameLookup);
        ArgumentNullException.ThrowIfNull(chain);
        return cnameLookup.Outcome == DnsOutcome.SecureAnswer && index < chain.Count &&
            cnameLookup.Records.Any(target => DnsName.SameName(target, chain[index]));
    }

    /// <summary>How the host's answers stand (see <see cref="HostNameSecurity"/>).</summary>
    public static HostNameSecurity Classify(MxHostObservation host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return Classify(host.A, host.Aaaa, host.CnameLookups);
    }

    /// <summary>How a host's answers stand, from its address lookups and the CNAME lookups of its chain.</summary>
    public static HostNameSecurity Classify(RrsetObservation<string> a, RrsetObservation<string> aaaa, IReadOnlyList<RrsetObservation<string>> cnameLookups)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(aaaa);
        ArgumentNullException.ThrowIfNull(cnameLookups);
        if (!IsInsecure(a) && !IsInsecure(aaaa))
        {
            return HostNameSecurity.Secure;
        }

        var chain = InsecureChain(a, aaaa);

        // No CNAME: the first answer is the address RRset itself. No CNAME lookup recorded: an observation made
        // before the rule was applied; it cannot show the host name secure, so it reads as before.
        if (chain.Count == 0 || cnameLookups.Count == 0)
        {
            return HostNameSecurity.Insecure;
        }

        var first = cnameLookups[0];
        if (LinkIsSecure(first, chain, 0))
        {
            return HostNameSecurity.InsecureCname;
        }

        return first.IsFailure ? HostNameSecurity.Undetermined : HostNameSecurity.Insecure;
    }

    /// <summary>
    /// The name whose own answer was the first in the chain not to validate: the host name when its first answer
    /// is insecure, a later name of the chain whose CNAME record did not validate (or could not be looked up), or
    /// the chain's final target when every CNAME link validated and its address RRset did not. Null when no
    /// address RRset is insecure, or when the observation does not tell (no CNAME lookups recorded).
    /// </summary>
    public static string? InsecureAt(MxHostObservation host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!IsInsecure(host.A) && !IsInsecure(host.Aaaa))
        {
            return null;
        }

        var chain = InsecureChain(host.A, host.Aaaa);
        if (chain.Count == 0)
        {
            return host.Name;
        }

        if (host.CnameLookups.Count == 0)
        {
            return null;
        }

        var owners = LinkOwners(host.Name, chain);
        for (var i = 0; i < owners.Count; i++)
        {
            if (i >= host.CnameLookups.Count || !LinkIsSecure(host.CnameLookups[i], chain, i))
            {
                return owners[i];
            }
        }

        return chain[^1];
    }

    /// <summary>
    /// The TLSA base domains to try, in order (docs/dane-rules.md §2, §3; RFC 7672 §2.2.2, §2.2.3); the second is tried
    /// only when TLSA at the first is securely denied. Secure addresses through a chain secure to its end: the
    /// final target, then the host name. The insecure CNAME case, with addresses: the host name only. Otherwise
    /// (insecure, undetermined, no secure answer holding addresses): none.
    /// </summary>
    public static IReadOnlyList<string> TlsaBases(string hostName, RrsetObservation<string> a, RrsetObservation<string> aaaa, IReadOnlyList<RrsetObservation<string>> cnameLookups)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(aaaa);
        switch (Classify(a, aaaa, cnameLookups))
        {
            case HostNameSecurity.Secure:
                {
                    var secure = a.Outcome == DnsOutcome.SecureAnswer && a.Records.Count > 0 ? a
                        : aaaa.Outcome == DnsOutcome.SecureAnswer && aaaa.Records.Count > 0 ? aaaa
                        : null;
                    if (secure is null)
                    {
                        return [];
                    }

                    var target = secure.CnameChain.Count > 0 ? secure.CnameChain[^1] : hostName;
                    return DnsName.SameName(target, hostName) ? [hostName] : [target, hostName];
                }

            case HostNameSecurity.InsecureCname:
                return HasAddresses(a) || HasAddresses(aaaa) ? [hostName] : [];

            default:
                return [];
        }
    }

    /// <summary>An answer (secure or insecure) that holds addresses.</summary>
    public static bool HasAddresses(RrsetObservation<string> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return lookup.Outcome is DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer && lookup.Records.Count > 0;
    }
}
