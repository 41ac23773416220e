using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>
/// Owner-name helpers for the resolver, over <see cref="DnsName"/>'s rules (one copy of them, in Core): the
/// observation form is lower case, A-labels, without the trailing dot. A name with non-LDH bytes (an MX exchange of
/// a hostile zone, say) is kept in presentation form with RFC 1035 escapes (<c>mx\027.example</c>), as answers
/// render it, and asked for by its wire bytes (<see cref="TryWireForm"/>).
/// </summary>
public static class DnsNames
{
    /// <summary>The observation form of a name (<see cref="DnsName.Normalize"/>): trimmed, lower case, no trailing dot; the root stays ".".</summary>
    public static string Normalize(string name) => DnsName.Normalize(name);

    /// <summary>The fully-qualified form sent on the wire (so no search suffix is ever appended).</summary>
    public static string ToFqdn(string name) => DnsName.Unchecked(name).Fqdn;

    /// <summary>The TLSA owner name for SMTP on a base domain: <c>_25._tcp.&lt;base&gt;</c>.</summary>
    public static string SmtpTlsaOwner(string baseDomain) => "_25._tcp." + Normalize(baseDomain);

    /// <summary>Whether a name must be sent as its wire bytes (<see cref="DnsName.NeedsWireForm"/>).</summary>
    public static bool NeedsWireForm(string name) => DnsName.NeedsWireForm(name);

    /// <summary>
    /// The wire form of a name in presentation form (as DNS answers render it: <c>\DDD</c> for a byte by its
    /// decimal value, <c>\X</c> for the character X), as a string of one character per label byte and a dot
    /// between labels, fully qualified. Fails, with the reason, when a label would hold a dot or a byte above 127
    /// (the DNS client writes label characters as UTF-8, so such a name cannot be asked for exactly), when an
    /// escape is malformed, or a label or the name is too long (RFC 1035 §2.3.4).
    /// </summary>
    public static bool TryWireForm(string name, out string wire, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(name);
        wire = string.Empty;
        var text = Normalize(name);
        if (text == ".")
        {
            wire = ".";
            problem = null;
            return true;
        }

        if (!DnsName.TryDecodeLabels(text, out var labels, out var error, out _))
        {
            problem = error switch
            {
                DnsNameError.MalformedEscape => "malformed escape",
                DnsNameError.LabelTooLong => "a label longer than 63 bytes",
                DnsNameError.NameTooLong => "a name longer than 255 bytes",
                _ => "empty label",
            };
            return false;
        }

        foreach (var label in labels)
        {
            foreach (var c in label)
            {
                if (c > 127 || c == '.')
                {
                    problem = c > 255 ? "a character outside one byte" : c == '.' ? "a dot inside a label" : $"the byte {(int)c} (above 127)";
                    return false;
                }
            }
        }

        wire = string.Join('.', labels) + ".";
        problem = null;
        return true;
    }

    /// <summary>Case-insensitive comparison of two names in any form.</summary>
    public static bool SameName(string a, string b) => DnsName.SameName(a, b);
}
