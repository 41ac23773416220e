namespace DaneScan.Dns;

/// <summary>
/// Owner-name helpers: the observation form is lower case, A-labels, without the trailing dot. A name with
/// non-LDH bytes (an MX exchange of a hostile zone, say) is kept in presentation form with RFC 1035 escapes
/// (<c>mx\027.example</c>), as answers render it, and asked for by its wire bytes (<see cref="TryWireForm"/>).
/// </summary>
public static class DnsNames
{
    /// <summary>The observation form of a name: trimmed, lower case, no trailing dot; the root stays ".".</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        if (trimmed is "." or "")
        {
            return ".";
        }

        var normal = trimmed.TrimEnd('.').ToLowerInvariant();
        return NeedsWireForm(normal) ? EscapeRaw(normal) : normal;
    }

    /// <summary>
    /// Raw control characters, spaces and DEL in a name as RFC 1035 <c>\DDD</c> escapes: the DNS client renders a
    /// non-LDH byte escaped in some places (RDATA) and raw in others (an owner name compressed to the question), so
    /// one form is kept.
    /// </summary>
    private static string EscapeRaw(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (c <= ' ' || c == '\u007f')
            {
                sb.Append('\\').Append(((int)c).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>The fully-qualified form sent on the wire (so no search suffix is ever appended).</summary>
    public static string ToFqdn(string name)
    {
        var normal = Normalize(name);
        return normal == "." ? "." : normal + ".";
    }

    /// <summary>The TLSA owner name for SMTP on a base domain: <c>_25._tcp.&lt;base&gt;</c>.</summary>
    public static string SmtpTlsaOwner(string baseDomain) => "_25._tcp." + Normalize(baseDomain);

    /// <summary>
    /// Whether a name in presentation form holds anything beyond letters, digits, hyphens, underscores, dots and a
    /// leading <c>*</c>: then it carries RFC 1035 §5.1 escapes (<c>\DDD</c>, <c>\X</c>, as DNS answers render
    /// non-LDH bytes) or raw non-LDH characters, and must be sent as its wire bytes (<see cref="TryWireForm"/>).
    /// </summary>
    public static bool NeedsWireForm(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*'))
            {
                return true;
            }
        }

        return false;
    }

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

        var sb = new System.Text.StringBuilder(text.Length + 1);
        var label = 0;
        var total = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                if (label == 0)
                {
                    problem = "empty label";
                    return false;
                }

                sb.Append('.');
                total += label + 1;
                label = 0;
                continue;
            }

            int value = c;
            if (c == '\\')
            {
                if (i + 3 < text.Length && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]))
                {
                    value = ((text[i + 1] - '0') * 100) + ((text[i + 2] - '0') * 10) + (text[i + 3] - '0');
                    i += 3;
                }
                else if (i + 1 < text.Length && !char.IsAsciiDigit(text[i + 1]))
                {
                    value = text[++i];
                }
                else
                {
                    problem = "malformed escape";
                    return false;
                }
            }

            if (value > 127 || value == '.')
            {
                problem = value > 255 ? "a character outside one byte" : value == '.' ? "a dot inside a label" : $"the byte {value} (above 127)";
                return false;
            }

            sb.Append((char)value);
            if (++label > 63)
            {
                problem = "a label longer than 63 bytes";
                return false;
            }
        }

        total += label + 1;
        if (label == 0 || total > 255)
        {
            problem = label == 0 ? "empty label" : "a name longer than 255 bytes";
            return false;
        }

        wire = sb.Append('.').ToString();
        problem = null;
        return true;
    }

    /// <summary>Case-insensitive comparison of two names in any form.</summary>
    public static bool SameName(string a, string b) =>
        string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);
}
