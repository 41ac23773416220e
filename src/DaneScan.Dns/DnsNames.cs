namespace DaneScan.Dns;

/// <summary>Owner-name helpers: the observation form is lower case, A-labels, without the trailing dot.</summary>
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

        return trimmed.TrimEnd('.').ToLowerInvariant();
    }

    /// <summary>The fully-qualified form sent on the wire (so no search suffix is ever appended).</summary>
    public static string ToFqdn(string name)
    {
        var normal = Normalize(name);
        return normal == "." ? "." : normal + ".";
    }

    /// <summary>The TLSA owner name for SMTP on a base domain: <c>_25._tcp.&lt;base&gt;</c>.</summary>
    public static string SmtpTlsaOwner(string baseDomain) => "_25._tcp." + Normalize(baseDomain);

    /// <summary>Case-insensitive comparison of two names in any form.</summary>
    public static bool SameName(string a, string b) =>
        string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);
}
