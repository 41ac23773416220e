using DaneScan.Core;
using DaneScan.Lab.Cases;

namespace DaneScan.Api.Tests;

/// <summary>
/// The dashboard in a real browser (Debian's headless Chromium via puppeteer-core) against <c>danescan serve</c>
/// over a lab run, and the OpenAPI document and serve's answers checked with standard validators.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class BrowserTests(ServeLab lab)
{
    /// <summary>Set to a directory (e.g. docs/) to keep the screenshots; otherwise they go to a scratch folder.</summary>
    private static readonly string Shots = Environment.GetEnvironmentVariable("DANESCAN_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "danescan-dashboard-shots");

    [Fact]
    public async Task The_dashboard_shows_the_numbers_the_API_serves_without_a_console_error()
    {
        Assert.True(File.Exists(NodeTools.Chromium), $"{NodeTools.Chromium} is missing: run eng/prereqs.sh (Debian package chromium)");
        var protectedCase = LabCatalogue.All.First(c => c.Expected.PrimaryMx == DomainDaneStatus.Protected);
        var (exit, output) = await NodeTools.RunScriptAsync(
            "dashboard-check.cjs", lab.Server.Address.ToString(), NodeTools.Chromium, Shots, ServeLab.SecondRun, protectedCase.Domain);
        Assert.True(exit == 0, output);
        Assert.Contains("compared with the API", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(Shots, "dashboard.png")).Length > 10_000, "no full-page screenshot");
    }

    [Fact]
    public async Task The_OpenAPI_document_is_valid_and_every_answer_matches_its_schema()
    {
        var domain = LabCatalogue.All[0].Domain;
        var run = ServeLab.FirstRun;
        var (exit, output) = await NodeTools.RunScriptAsync(
            "openapi-check.cjs",
            lab.Server.Address.ToString(),
            "api/runs",
            "api/runs?top=1",
            $"api/runs/{run}",
            $"api/runs/{run}/counts/tld?top=2",
            $"api/runs/{run}/counts/mx-provider",
            $"api/runs/{run}/counts/tlsa-parameters",
            $"api/runs/{run}/findings",
            $"api/runs/{run}/breakdowns/failure-result-type",
            $"api/runs/{run}/breakdowns/rank-bucket?top=3",
            "api/timeseries/verified",
            "api/timeseries/dane-protected-share",
            $"api/runs/{run}/domains/{domain}",
            "api/runs/no-such-run",
            $"api/runs/{run}/domains/no-such-domain.example",
            "api/timeseries/no-such-metric",
            $"api/runs/{run}/breakdowns/no-such-dimension",
            $"api/runs/{run}/compare/{ServeLab.SecondRun}",
            $"api/runs/{run}/compare/{ServeLab.SecondRun}?transition=Verified->Failing&top=1",
            "api/runs?top=0",
            "api/runs/bad%20id");
        Assert.True(exit == 0, output);
        Assert.Contains("openapi: valid OpenAPI 3.1.0 document", output, StringComparison.Ordinal);
        Assert.Equal(20, output.Split('\n').Count(l => l.StartsWith("ok: ", StringComparison.Ordinal)));
    }
}
