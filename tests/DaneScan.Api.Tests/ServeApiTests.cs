using System.Net;
using System.Text.Json;
using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Storage;

namespace DaneScan.Api.Tests;

/// <summary>
/// <c>danescan serve</c>'s HTTP answers over two lab runs in run directories: the numbers are the lab
/// catalogue's expected verdicts (written from dane-rules.md, not from the scanner's output) and the ones the
/// scan itself stored in statistics.json; the headers, paging and errors are the Functions API's.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class ServeApiTests(ServeLab lab)
{
    private async Task<(HttpResponseMessage Response, JsonElement Body)> GetAsync(string path)
    {
        var response = await lab.Http.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : r.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : string.Empty;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>
    /// The state docs/dataset.md defines, from a lab case's expectations: a case every judged host of which
    /// authenticates is Verified when its MX RRset is secure and Trusted when it is not; any other case keeps its
    /// hosts-only status name.
    /// </summary>
    private static string ExpectedState(LabCase c) => c.Expected.AllMx switch
    {
        DomainDaneStatus.Protected => c.Expected.MxSecure ? "verified" : "trusted",
        var other => Camel(other.ToString()),
    };

    [Fact]
    public async Task A_runs_domains_by_state_are_the_lab_catalogues_expected_states_with_unsigned_MX_cases_trusted_not_verified()
    {
        var (response, run) = await GetAsync($"api/runs/{ServeLab.FirstRun}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = LabCatalogue.All.GroupBy(ExpectedState).ToDictionary(g => g.Key, g => (long)g.Count());
        var served = run.GetProperty("domainsByState").EnumerateObject().Where(p => p.Value.GetInt64() > 0).ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), served.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // The lab has unsigned-MX cases whose hosts authenticate: they are Trusted, and the headline counts only Verified.
        var trusted = LabCatalogue.All.Count(c => c.Expected.AllMx == DomainDaneStatus.Protected && !c.Expected.MxSecure);
        var verified = LabCatalogue.All.Count(c => c.Expected.AllMx == DomainDaneStatus.Protected && c.Expected.MxSecure);
        Assert.True(trusted > 0, "the lab should have an unsigned-MX case with authenticating hosts");
        var headline = run.GetProperty("headline");
        Assert.Equal(verified, headline.GetProperty("daneProtected").GetInt64());
        Assert.Equal(trusted, headline.GetProperty("trusted").GetInt64());
        Assert.Equal(LabCatalogue.All.Count, run.GetProperty("domainsEnumerated").GetInt64());
        Assert.Equal("completed", run.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Serve_reports_the_numbers_danescan_scan_printed_and_stored_in_statistics_json()
    {
        await using var store = new RunDirectoryStore(lab.Runs);
        var stored = (await store.ReadStatisticsAsync(ServeLab.FirstRun))!.Counts;
        var (_, run) = await GetAsync($"api/runs/{ServeLab.FirstRun}");
        foreach (var state in run.GetProperty("domainsByState").EnumerateObject())
        {
            var name = char.ToUpperInvariant(state.Name[0]) + state.Name[1..];
            Assert.Equal(stored.GetValueOrDefault($"domains.all|{name}"), state.Value.GetInt64());
        }

        var headline = run.GetProperty("headline");
        Assert.Equal(stored["domains.headline|dane_protected"], headline.GetProperty("daneProtected").GetInt64());
        Assert.Equal(stored["domains.headline|trusted"], headline.GetProperty("trusted").GetInt64());
        Assert.Equal(stored["domains.headline|survey_signed"], headline.GetProperty("surveySigned").GetInt64());
        Assert.Equal(stored["domains.headline|survey_protected"], headline.GetProperty("surveyProtected").GetInt64());
        Assert.Equal(stored["domains|total"], run.GetProperty("domainsByState").EnumerateObject().Sum(p => p.Value.GetInt64()));

        // The summary danescan scan printed at the end of the run says the same.
        var printed = lab.ScanOutput[ServeLab.FirstRun];
        Assert.Equal(headline.GetProperty("daneProtected").GetInt64(), PrintedCount(printed, "DANE-protected (Verified, all MX)"));
        Assert.Equal(headline.GetProperty("trusted").GetInt64(), PrintedCount(printed, "Trusted (MX RRset insecure, all MX)"));
        Assert.Equal(headline.GetProperty("surveyProtected").GetInt64(), PrintedCount(printed, "survey-comparable (of DNSSEC-signed)"));
    }

    /// <summary>The count printed after a label in the end-of-run summary ("  label   12   3.4%").</summary>
    private static long PrintedCount(string output, string label)
    {
        var line = output.Split('\n').Single(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));
        return long.Parse(line.TrimStart()[label.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_completed_runs_answers_are_immutable_and_say_they_were_computed()
    {
        var (response, _) = await GetAsync($"api/runs/{ServeLab.FirstRun}/counts/tld");
        Assert.Equal("public, max-age=31536000, immutable", Header(response, "Cache-Control"));
        Assert.Equal("computed", Header(response, "X-DaneScan-Statistics"));
        Assert.StartsWith("application/json", Header(response, "Content-Type"), StringComparison.Ordinal);
        var (runs, _) = await GetAsync("api/runs");
        Assert.Equal("public, max-age=60", Header(runs, "Cache-Control"));
        var (doc, _) = await GetAsync("api/openapi");
        Assert.Equal("public, max-age=3600", Header(doc, "Cache-Control"));
    }

    [Fact]
    public async Task Paging_by_continuation_walks_every_row_once_in_order()
    {
        var (_, all) = await GetAsync($"api/runs/{ServeLab.FirstRun}/counts/mx-provider?top=1000");
        var everything = all.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("key").GetString()).ToList();
        Assert.True(everything.Count >= 3, $"the lab has {everything.Count} MX providers");
        var walked = new List<string?>();
        string? token = null;
        do
        {
            var (_, page) = await GetAsync($"api/runs/{ServeLab.FirstRun}/counts/mx-provider?top=2" + (token is null ? string.Empty : "&continuation=" + Uri.EscapeDataString(token)));
            var items = page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("key").GetString()).ToList();
            Assert.InRange(items.Count, 1, 2);
            walked.AddRange(items);
            token = page.GetProperty("continuationToken").GetString();
        }
        while (token is not null);
        Assert.Equal(everything, walked);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first()
    {
        var (_, page) = await GetAsync("api/runs");
        Assert.Equal([ServeLab.SecondRun, ServeLab.FirstRun], page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("runId").GetString()));
        var (_, series) = await GetAsync("api/timeseries/domains");
        Assert.Equal([LabCatalogue.All.Count, LabCatalogue.All.Count], series.GetProperty("points").EnumerateArray().Select(p => (int)p.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task A_domain_lookup_explains_the_stored_observation_as_danescan_check_does()
    {
        var insecure = LabCatalogue.All.First(c => c.Expected.AllMx == DomainDaneStatus.Protected && !c.Expected.MxSecure);
        var (response, record) = await GetAsync($"api/runs/{ServeLab.FirstRun}/domains/{insecure.Domain.ToUpperInvariant()}.");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(insecure.Domain, record.GetProperty("domain").GetString());
        Assert.Equal("protected", record.GetProperty("status").GetString());
        Assert.Equal("trusted", record.GetProperty("state").GetString());
        Assert.Equal("insecure", record.GetProperty("mxSecurity").GetString());
        var explanation = record.GetProperty("explanation").GetString()!;
        Assert.StartsWith(insecure.Domain + "\n", explanation, StringComparison.Ordinal);
        Assert.Contains($"primary MX: {insecure.Expected.PrimaryMx}", explanation, StringComparison.Ordinal);
        Assert.Contains($"all MX: {insecure.Expected.AllMx}", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Comparing_the_two_runs_finds_exactly_the_case_whose_TLSA_changed_and_how_it_changed()
    {
        // docs/dane-rules.md: a DANE-EE host whose TLSA records match nothing it presents fails authentication,
        // so its domain goes from Verified (MX RRset secure, every host authenticated) to Failing.
        var changed = LabCatalogue.All.Single(c => c.Id == ServeLab.ChangedCase);
        Assert.Equal((DomainDaneStatus.Protected, true), (changed.Expected.AllMx, changed.Expected.MxSecure));

        var (response, comparison) = await GetAsync($"api/runs/{ServeLab.FirstRun}/compare/{ServeLab.SecondRun}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", Header(response, "Cache-Control"));
        var transition = Assert.Single(comparison.GetProperty("transitions").EnumerateArray());
        Assert.Equal(("Verified→Failing", 1L), (transition.GetProperty("transition").GetString(), transition.GetProperty("domains").GetInt64()));
        Assert.Equal(LabCatalogue.All.Count - 1, comparison.GetProperty("unchanged").GetInt64());
        Assert.Equal(JsonValueKind.Null, comparison.GetProperty("domains").ValueKind);

        var (_, listed) = await GetAsync($"api/runs/{ServeLab.FirstRun}/compare/{ServeLab.SecondRun}?transition=verified->failing");
        var domains = listed.GetProperty("domains");
        Assert.Equal([changed.Domain], domains.GetProperty("items").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(JsonValueKind.Null, domains.GetProperty("continuationToken").ValueKind);

        // The CLI reads the same comparison.
        var cli = await ServeLab.RunCliAsync(TimeSpan.FromMinutes(2), "compare", ServeLab.FirstRun, ServeLab.SecondRun, "--runs-dir", lab.Runs, "--transition", "Verified->Failing");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains($"{LabCatalogue.All.Count - 1} unchanged, 1 changed", cli.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\n  Verified -> Failing +1\n", cli.Stdout);
        Assert.EndsWith($"\n  {changed.Domain}\n", cli.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/runs/lab-1/compare/no-such-run", 404, "no run 'lab-1' or no run 'no-such-run'")]
    [InlineData("api/runs/lab-1/compare/lab-2?transition=Verified-%3EGone", 400, "'Gone' is not a state (one of: Verified, Trusted, EncryptOnly, Partial, Failing, NotDane, NotApplicable, Absent)")]
    [InlineData("api/runs/lab-1/breakdowns/colour", 404, "no breakdown 'colour': one of tld, mx-provider, tlsa-parameters, public-suffix, registrable-domain, dane-usage, failure-result-type, failure-reason, finding, rank-bucket")]
    [InlineData("api/runs/no-such-run", 404, "no run 'no-such-run'")]
    [InlineData("api/runs/lab-1/domains/absent.example", 404, "no domain 'absent.example' in run 'lab-1'")]
    [InlineData("api/runs?top=0", 400, "top must be an integer from 1 to 1000")]
    [InlineData("api/runs/lab-1/domains/b%C3%BCcher.example", 400, "domain must be a DNS name in A-label form")]
    [InlineData("api/timeseries/no-such-metric", 404, "no metric 'no-such-metric'")]
    [InlineData("api/nothing-here", 404, "no route /api/nothing-here")]
    public async Task Bad_requests_are_uncached_problems_that_say_what_is_wrong(string path, int status, string detail)
    {
        var (response, problem) = await GetAsync(path);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.Equal("no-store", Header(response, "Cache-Control"));
        Assert.StartsWith("application/problem+json", Header(response, "Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_is_read_only()
    {
        using var post = await lab.Http.PostAsync(new Uri($"api/runs/{ServeLab.FirstRun}", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow);
        using var delete = await lab.Http.DeleteAsync(new Uri($"api/runs/{ServeLab.FirstRun}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);

        // Having answered about the run (domain lookups included), serve holds no writer lock on it: a scan can still open it.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"api/runs/{ServeLab.FirstRun}/domains/{LabCatalogue.All[0].Domain}")).Response.StatusCode);
        await using var writer = new RunDirectoryStore(lab.Runs);
        Assert.Equal((0L, 0L), await writer.RecoveryAsync(ServeLab.FirstRun));
    }

    [Fact]
    public async Task The_dashboard_and_its_chart_library_are_served_by_the_app()
    {
        var page = await lab.Http.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("<script src=\"dashboard/chart.umd.min.js\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page.Replace("https://danescan-scan.azurewebsites.net/api/", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        using var chart = await lab.Http.GetAsync(new Uri("dashboard/chart.umd.min.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
        Assert.Contains("Chart.js v4.6.1", await chart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
