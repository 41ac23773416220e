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

    [Fact]
    public async Task A_runs_domains_by_status_are_the_lab_catalogues_expected_primary_verdicts()
    {
        var (response, run) = await GetAsync($"api/runs/{ServeLab.FirstRun}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = LabCatalogue.All.GroupBy(c => c.Expected.PrimaryMx).ToDictionary(g => Camel(g.Key.ToString()), g => (long)g.Count());
        var served = run.GetProperty("domainsByStatus").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), served.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(LabCatalogue.All.Count, run.GetProperty("domainsEnumerated").GetInt64());
        Assert.Equal("completed", run.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Serve_reports_the_numbers_danescan_scan_stored_in_statistics_json()
    {
        await using var store = new RunDirectoryStore(lab.Runs);
        var stored = (await store.ReadStatisticsAsync(ServeLab.FirstRun))!.Counts;
        var (_, run) = await GetAsync($"api/runs/{ServeLab.FirstRun}");
        foreach (var status in run.GetProperty("domainsByStatus").EnumerateObject())
        {
            var name = char.ToUpperInvariant(status.Name[0]) + status.Name[1..];
            Assert.Equal(stored[$"domains.primary|{name}"], status.Value.GetInt64());
        }

        Assert.Equal(stored.Where(kv => kv.Key.StartsWith("domains.primary|", StringComparison.Ordinal)).Sum(kv => kv.Value), run.GetProperty("domainsByStatus").EnumerateObject().Sum(p => p.Value.GetInt64()));
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
        var insecure = LabCatalogue.All.First(c => c.Expected.PrimaryMx == DomainDaneStatus.Protected);
        var (response, record) = await GetAsync($"api/runs/{ServeLab.FirstRun}/domains/{insecure.Domain.ToUpperInvariant()}.");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(insecure.Domain, record.GetProperty("domain").GetString());
        Assert.Equal("protected", record.GetProperty("status").GetString());
        var explanation = record.GetProperty("explanation").GetString()!;
        Assert.StartsWith(insecure.Domain + "\n", explanation, StringComparison.Ordinal);
        Assert.Contains($"primary MX: {insecure.Expected.PrimaryMx}", explanation, StringComparison.Ordinal);
        Assert.Contains($"all MX: {insecure.Expected.AllMx}", explanation, StringComparison.Ordinal);
    }

    [Theory]
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
