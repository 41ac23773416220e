using System.Text.RegularExpressions;
using DaneScan.Core;
using DaneScan.Lab.Cases;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>The catalogue's shape: enough cases, every rule section exercised, consistent expectations, the case table of docs/lab.md in sync.</summary>
public sealed partial class CatalogueTests
{
    [Fact]
    public void Catalogue_has_at_least_forty_cases_with_unique_ids_and_domains()
    {
        Assert.True(LabCatalogue.All.Count >= 40);
        Assert.Equal(LabCatalogue.All.Count, LabCatalogue.All.Select(c => c.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(LabCatalogue.All, c => Assert.Equal($"{c.Id}.lab", c.Domain));
    }

    [Theory]
    [InlineData("§1")]
    [InlineData("§2")]
    [InlineData("§3")]
    [InlineData("§4")]
    [InlineData("§5")]
    [InlineData("§6")]
    [InlineData("§7")]
    public void Every_rule_section_is_exercised(string section) =>
        Assert.Contains(LabCatalogue.All, c => c.Rule.Contains(section, StringComparison.Ordinal));

    [Fact]
    public void Every_usable_usage_selector_matching_combination_has_an_authenticated_case()
    {
        foreach (var usage in new byte[] { 2, 3 })
        {
            for (byte selector = 0; selector <= 1; selector++)
            {
                for (byte matching = 0; matching <= 2; matching++)
                {
                    Assert.Contains(LabCatalogue.All, c => c.Hosts.Any(h => h.Expected.Outcome == HostOutcome.Authenticated
                        && h.Expected.MatchedTlsa is { } m && m.Usage == usage && m.Selector == selector && m.MatchingType == matching));
                }
            }
        }
    }

    [Fact]
    public void Every_host_outcome_and_mx_status_of_the_rules_appears()
    {
        var outcomes = LabCatalogue.All.SelectMany(c => c.Hosts).Select(h => h.Expected.Outcome).ToHashSet();
        foreach (var outcome in Enum.GetValues<HostOutcome>().Where(o => o != HostOutcome.NotProbed))
        {
            Assert.Contains(outcome, outcomes);
        }

        var mx = LabCatalogue.All.Select(c => c.Expected.Mx).ToHashSet();
        Assert.Equal(Enum.GetValues<MxStatus>().ToHashSet(), mx);
        var dns = LabCatalogue.All.SelectMany(c => c.Rrsets).Select(r => r.Outcome).ToHashSet();
        Assert.Equal(Enum.GetValues<DnsOutcome>().ToHashSet(), dns);
    }

    [Fact]
    public void Authenticated_hosts_name_their_matched_record_and_depth_and_others_do_not()
    {
        foreach (var host in LabCatalogue.All.SelectMany(c => c.Hosts))
        {
            var authenticated = host.Expected.Outcome == HostOutcome.Authenticated;
            Assert.Equal(authenticated, host.Expected.MatchedTlsa is not null);
            Assert.Equal(authenticated, host.Expected.MatchedDepth is not null);
            if (authenticated)
            {
                Assert.NotNull(host.TlsaBase);
                Assert.Equal(host.Expected.MatchedTlsa!.Usage == 3 ? HostReason.DaneEeMatched : HostReason.DaneTaMatched, host.Expected.Reason);
                Assert.True(host.Expected.MatchedTlsa.Usage == 2 || host.Expected.MatchedDepth == 0);
            }
        }
    }

    [Fact]
    public void Domain_views_follow_the_hosts()
    {
        var multi = LabCatalogue.Get("multi-backup-fails");
        Assert.Equal(DomainDaneStatus.Protected, multi.Expected.PrimaryMx);
        Assert.Equal(DomainDaneStatus.Failing, multi.Expected.AllMx);
        Assert.Equal(DomainDaneStatus.Partial, LabCatalogue.Get("multi-partial").Expected.AllMx);
        Assert.Equal(DomainDaneStatus.EncryptOnly, LabCatalogue.Get("multi-encrypt-only").Expected.AllMx);
        Assert.Equal(DomainDaneStatus.NotApplicable, LabCatalogue.Get("null-mx").Expected.AllMx);
        Assert.False(LabCatalogue.Get("mx-insecure").Expected.MxSecure);
        Assert.Equal(DomainDaneStatus.Protected, LabCatalogue.Get("mx-insecure").Expected.AllMx);
    }

    [Fact]
    public void Lab_doc_case_table_is_the_catalogue()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "lab.md")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var labDoc = File.ReadAllText(Path.Combine(dir.FullName, "docs", "lab.md"));
        var table = TableRegex().Match(labDoc);
        Assert.True(table.Success, "docs/lab.md has no <!-- lab-cases:begin --> ... <!-- lab-cases:end --> block (regenerate it with danescan lab cases --markdown)");
        Assert.Equal(CaseTable.Markdown().Trim(), table.Groups[1].Value.Trim());
        foreach (var c in LabCatalogue.All)
        {
            Assert.Contains($"| `{c.Id}` |", labDoc, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"<!-- lab-cases:begin -->\s*(.*?)\s*<!-- lab-cases:end -->", RegexOptions.Singleline)]
    private static partial Regex TableRegex();
}
