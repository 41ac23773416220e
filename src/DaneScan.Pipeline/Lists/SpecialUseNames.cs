namespace DaneScan.Pipeline.Lists;

/// <summary>
/// Names under special-use suffixes that are never mail domains on the internet and must not be looked up in
/// the global DNS (rejected as <see cref="DomainRejectReason.SpecialUseName"/>):
/// <list type="bullet">
/// <item><c>localhost</c>, <c>invalid</c>, <c>test</c> (RFC 6761 §6.2–6.4: reserved; never delegated, so a
/// query only burdens the root, and <c>localhost</c> means this machine);</item>
/// <item><c>onion</c> (RFC 7686 §2: applications that do not speak Tor "SHOULD NOT perform a DNS lookup");</item>
/// <item><c>local</c> (RFC 6762 §3: Multicast DNS names, to be asked on the link, not of unicast DNS);</item>
/// <item><c>alt</c> (RFC 9476: a namespace for non-DNS systems; DNS resolvers should not look it up);</item>
/// <item><c>home.arpa</c> (RFC 8375: names of a home network, meaningful only inside it).</item>
/// </list>
/// Not rejected: <c>example</c>, <c>example.com</c>/<c>.net</c>/<c>.org</c>. RFC 6761 §6.5 says application
/// software "SHOULD NOT recognize example names as special", and example.com is a real, delegated, signed
/// domain (with a null MX), so scanning it measures something.
/// </summary>
public static class SpecialUseNames
{
    /// <summary>The suffixes, without dots at either end.</summary>
    public static IReadOnlyList<string> Suffixes { get; } = ["localhost", "invalid", "test", "onion", "local", "alt", "home.arpa"];

    /// <summary>The special-use suffix a normalised name is, or is under; null when there is none.</summary>
    public static string? Match(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var suffix in Suffixes)
        {
            if (name.Length == suffix.Length ? name.Equals(suffix, StringComparison.Ordinal)
                : name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal) && name[^(suffix.Length + 1)] == '.')
            {
                return suffix;
            }
        }

        return null;
    }
}
