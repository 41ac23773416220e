using System.Globalization;
using System.Text;
using DaneScan.Core;

namespace DaneScan.Statistics;

/// <summary>
/// The flat "dimension|value" → count projection of a run's statistics that <c>statistics.json</c> and the
/// Table store's statistics rows hold (docs/dataset.md, "Run statistics"). Schema 2; a file without the
/// <c>schema|version</c> key is schema 1 (hosts-only statuses: its <c>Protected</c> counts both Verified and Trusted).
/// </summary>
public static class StatisticsCounts
{
    public const string SchemaKey = "schema|version";

    /// <summary>The breakdowns small enough to keep in the flat counts in full; the others are served page by page.</summary>
    public static IReadOnlyList<BreakdownDimension> FlatDimensions { get; } =
        [BreakdownDimension.TlsaParameters, BreakdownDimension.DaneUsage, BreakdownDimension.FailureResultType, BreakdownDimension.FailureReason, BreakdownDimension.Finding, BreakdownDimension.RankBucket];

    /// <summary>"TlsaParameters" → "tlsa_parameters".</summary>
    public static string Snake(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }

    public static Dictionary<string, long> ToCounts(RunStatisticsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Totals;
        var c = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [SchemaKey] = RunTotals.CurrentSchemaVersion,
            ["domains|total"] = t.Domains,
            ["domains|recomputed"] = t.Recomputed,
            ["domains|duplicates"] = t.Duplicates,
            ["domains|opted_out"] = t.DomainsOptedOut,
            ["domains.headline|dane_protected"] = t.Headline.DaneProtected,
            ["domains.headline|trusted"] = t.Headline.Trusted,
            ["domains.headline|verified_primary"] = t.Headline.VerifiedPrimary,
            ["domains.headline|trusted_primary"] = t.Headline.TrustedPrimary,
            ["domains.headline|survey_signed"] = t.Headline.SurveySigned,
            ["domains.headline|survey_protected"] = t.Headline.SurveyProtected,
            ["mx_hosts|total"] = t.MxHosts.Total,
            ["addresses|total"] = t.Addresses.Total,
            ["addresses|distinct_ips"] = t.Addresses.DistinctAddresses,
            ["probes|total"] = t.Probes,
        };
        void Put<TK>(string dimension, IEnumerable<KeyValuePair<TK, long>> values)
        {
            foreach (var (k, v) in values)
            {
                c[$"{dimension}|{k}"] = v;
            }
        }

        Put("domains.mx_security", t.MxSecurity);
        Put("domains.mx_status", t.MxStatus);
        foreach (var (view, states) in new[] { ("all", t.All), ("primary", t.Primary) })
        {
            Put($"domains.{view}", states.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Total)));
            Put($"domains.{view}.mx_secure", states.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Secure)));
            Put($"domains.{view}.mx_insecure", states.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Insecure)));
            Put($"domains.{view}.mx_indeterminate", states.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Indeterminate)));
        }

        Put("domains.findings", report.Findings.Select(f => KeyValuePair.Create(f.Code, f.Domains)));
        foreach (var dimension in FlatDimensions)
        {
            var name = Snake(dimension.ToString());
            var rows = report.Breakdowns.GetValueOrDefault(dimension) ?? [];
            Put($"domains.by_{name}", rows.Select(r => KeyValuePair.Create(r.Key, r.Domains)));
            Put($"domains.by_{name}.dane_protected", rows.Select(r => KeyValuePair.Create(r.Key, r.DaneProtected)));
        }

        Put("mx_hosts.outcome", t.MxHosts.ByOutcome);
        Put("mx_hosts.outcome_by_domains", t.MxHosts.DomainPairsByOutcome);
        Put("mx_hosts.tlsa_parameters", t.MxHosts.TlsaParameters);
        Put("mx_hosts.dane_usage", t.MxHosts.DaneUsage);
        Put("mx_hosts.rfc8460", t.MxHosts.FailureResultTypes.Select(kv => KeyValuePair.Create(RunStatisticsBuilder.ResultTypeName(kv.Key), kv.Value)));
        Put("addresses.outcome", t.Addresses.ByOutcome);
        Put("probes.outcome", t.ProbesByOutcome);
        Put("top_mx_hosts.domains", t.TopMxHosts.Select(k => KeyValuePair.Create(k.Key, k.Count)));
        Put("rejected", t.Rejected);
        return c;
    }
}

/// <summary>The end-of-run report for people (<c>danescan scan</c>, <c>danescan stats</c>): every figure labelled with what it counts.</summary>
public static class StatisticsText
{
    public static string Render(RunStatisticsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Totals;
        var sb = new StringBuilder();
        // MX host names, provider keys and finding texts come from the network: escaped for the terminal.
        void Line(string text) => sb.Append(SafeText.ForTerminal(text)).Append('\n');
        string Pct(long v, long total) => string.Create(CultureInfo.InvariantCulture, $"{(total > 0 ? 100.0 * v / total : 0),6:0.0}%");
        void Table(string title, IEnumerable<KeyValuePair<string, long>> rows, long total)
        {
            Line(title);
            var any = false;
            foreach (var (k, v) in rows)
            {
                any = true;
                Line(string.Create(CultureInfo.InvariantCulture, $"  {k,-40} {v,10} {Pct(v, total)}"));
            }

            if (!any)
            {
                Line("  (none)");
            }
        }

        void States(string title, IReadOnlyDictionary<DaneState, MxSplit> states)
        {
            Line(title);
            Line(string.Create(CultureInfo.InvariantCulture, $"  {"state",-16} {"domains",10} {"",7} {"MX secure",10} {"insecure",10} {"indeterm.",10}"));
            foreach (var state in Enum.GetValues<DaneState>())
            {
                var s = states.GetValueOrDefault(state) ?? MxSplit.Zero;
                Line(string.Create(CultureInfo.InvariantCulture, $"  {state,-16} {s.Total,10} {Pct(s.Total, t.Domains)} {s.Secure,10} {s.Insecure,10} {s.Indeterminate,10}"));
            }
        }

        var h = t.Headline;
        Line(string.Create(CultureInfo.InvariantCulture,
            $"run {t.RunId}: {t.Domains} domains recorded, {t.Probes} probes, {t.MxHosts.Total} distinct MX hosts, {t.Addresses.Total} (MX host, address) pairs on {t.Addresses.DistinctAddresses} addresses"));
        Line("headline (domains):");
        Line(string.Create(CultureInfo.InvariantCulture, $"  {"DANE-protected (Verified, all MX)",-40} {h.DaneProtected,10} {Pct(h.DaneProtected, t.Domains)}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  {"Trusted (MX RRset insecure, all MX)",-40} {h.Trusted,10} {Pct(h.Trusted, t.Domains)}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  {"Verified, primary MX",-40} {h.VerifiedPrimary,10} {Pct(h.VerifiedPrimary, t.Domains)}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  {"Trusted, primary MX",-40} {h.TrustedPrimary,10} {Pct(h.TrustedPrimary, t.Domains)}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"  {"survey-comparable (of DNSSEC-signed)",-40} {h.SurveyProtected,10} {Pct(h.SurveyProtected, h.SurveySigned)} of {h.SurveySigned} signed"));
        States("domains by state, all MX hosts (split by MX RRset security):", t.All);
        States("domains by state, primary MX hosts:", t.Primary);
        Table("domains by MX security:", t.MxSecurity.Select(kv => KeyValuePair.Create(kv.Key.ToString(), kv.Value)), t.Domains);
        Table("domains by MX status:", Sorted(t.MxStatus.Select(kv => KeyValuePair.Create(kv.Key.ToString(), kv.Value))), t.Domains);
        Table("MX hosts by outcome (distinct hosts):", Sorted(t.MxHosts.ByOutcome.Select(kv => KeyValuePair.Create(kv.Key.ToString(), kv.Value))), t.MxHosts.Total);
        Table("MX hosts by outcome, weighted by domains served ((domain, host) pairs):", Sorted(t.MxHosts.DomainPairsByOutcome.Select(kv => KeyValuePair.Create(kv.Key.ToString(), kv.Value))), t.MxHosts.DomainPairsByOutcome.Values.Sum());
        Table("(MX host, address) pairs by outcome:", Sorted(t.Addresses.ByOutcome.Select(kv => KeyValuePair.Create(kv.Key.ToString(), kv.Value))), t.Addresses.Total);
        Table("top MX hosts by domains served:", t.TopMxHosts.Take(10).Select(k => KeyValuePair.Create(k.Key, k.Count)), t.Domains);
        var daneHosts = t.MxHosts.DaneUsage.Values.Sum();
        Table("TLSA parameters (usage selector matching-type, distinct MX hosts with secure TLSA):", Sorted(t.MxHosts.TlsaParameters), daneHosts);
        Table("DANE-EE vs DANE-TA (distinct MX hosts with secure TLSA):", Sorted(t.MxHosts.DaneUsage), daneHosts);
        Table("failure causes, RFC 8460 result types (domains):", Rows(report, BreakdownDimension.FailureResultType), t.Domains);
        Table("findings (domains):", Sorted(report.Findings.Select(f => KeyValuePair.Create(f.Code, f.Domains))), t.Domains);
        var rejectedTotal = t.Rejected.Values.Sum();
        Table($"rejected list lines ({rejectedTotal}):", t.Rejected, rejectedTotal);
        if (t.DomainsOptedOut > 0)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"opted-out domains skipped: {t.DomainsOptedOut}"));
        }

        return sb.ToString();
    }

    private static IEnumerable<KeyValuePair<string, long>> Rows(RunStatisticsReport report, BreakdownDimension dimension) =>
        (report.Breakdowns.GetValueOrDefault(dimension) ?? []).Where(r => r.Key != RunStatisticsBuilder.NoneKey).Select(r => KeyValuePair.Create(r.Key, r.Domains));

    private static IEnumerable<KeyValuePair<string, long>> Sorted(IEnumerable<KeyValuePair<string, long>> d) =>
        d.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal);
}
