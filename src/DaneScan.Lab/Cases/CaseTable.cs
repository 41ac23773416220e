using System.Text;

namespace DaneScan.Lab.Cases;

/// <summary>Renders the catalogue for humans: the case table of docs/lab.md and a plain listing.</summary>
public static class CaseTable
{
    /// <summary>The case table of docs/lab.md (Markdown), one row per case.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| id | set-up | rule | zones | TLS | MX | all-MX / primary | hosts: outcome (reason) |\n");
        text.Append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var c in LabCatalogue.All)
        {
            text.Append("| `").Append(c.Id).Append("` | ").Append(Escape(c.Description)).Append(" | ").Append(Escape(c.Rule)).Append(" | ")
                .Append(c.Zones.Count == 0 ? "-" : string.Join("; ", c.Zones.Select(z => z.Describe()))).Append(" | ")
                .Append(c.Hosts.Count == 0 ? "-" : string.Join("; ", c.Hosts.Select(h => h.HasAddress ? h.Tls.Describe() : "no address"))).Append(" | ")
                .Append(c.Expected.Mx).Append(c.Expected.MxSecure ? " (secure)" : " (not secure)").Append(" | ")
                .Append(c.Expected.AllMx).Append(" / ").Append(c.Expected.PrimaryMx).Append(" | ")
                .Append(c.Hosts.Count == 0 ? "-" : string.Join("; ", c.Hosts.Select(Host))).Append(" |\n");
        }

        return text.ToString();
    }

    /// <summary>A plain listing with zones and TLS set-ups.</summary>
    public static string Text()
    {
        var text = new StringBuilder();
        foreach (var c in LabCatalogue.All)
        {
            text.Append(c.Id).Append("  ").Append(c.Domain).Append("  [").Append(c.Rule).Append("]\n");
            text.Append("    ").Append(c.Description).Append('\n');
            foreach (var z in c.Zones)
            {
                text.Append("    zone ").Append(z.Origin).Append(": ").Append(z.Describe()).Append('\n');
            }

            foreach (var h in c.Hosts)
            {
                text.Append("    host ").Append(h.Name).Append(" (").Append(h.Preference).Append("): TLS ").Append(h.Tls.Describe())
                    .Append(" -> ").Append(Host(h)).Append('\n');
            }

            text.Append("    expect: ").Append(c.Expected.Mx).Append(c.Expected.MxSecure ? " secure" : " not secure")
                .Append(", all-MX ").Append(c.Expected.AllMx).Append(", primary-MX ").Append(c.Expected.PrimaryMx).Append('\n');
        }

        return text.ToString();
    }

    private static string Host(LabHost h)
    {
        var s = $"{h.Name}: {h.Expected.Outcome} ({h.Expected.Reason})";
        if (h.Expected.MatchedTlsa is { } m)
        {
            s += $" by {m.Usage} {m.Selector} {m.MatchingType} at depth {h.Expected.MatchedDepth}";
        }

        return s;
    }

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
