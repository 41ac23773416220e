using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DaneScan.Lab.Cases;
using DaneScan.Storage;
using DaneScan.Storage.Tests;

namespace DaneScan.Api.Tests;

/// <summary><c>danescan serve</c> run as a program: its options, its errors, and its answers over Table Storage.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeCommandTests(ServeLab lab)
{
    [Theory]
    [InlineData("--listen", "localhost", "--listen 'localhost' is not an IP address")]
    [InlineData("--port", "70000", "--port 70000 is not a TCP port (0-65535)")]
    [InlineData("--runs-dir", "/nonexistent/danescan-runs", "no run directories at /nonexistent/danescan-runs (--runs-dir)")]
    [InlineData("--store", "table", "--store table needs --table-connection or $DANESCAN_TABLE_CONNECTION")]
    public async Task Bad_usage_exits_2_saying_what_is_wrong(string option, string value, string message)
    {
        var result = await RunWithoutTableConnectionAsync("serve", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_listens_on_loopback_prints_where_and_answers_until_stopped()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "danescan.dll"), "serve", "--runs-dir", lab.Runs, "--port", "0" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        try
        {
            string? line;
            Uri? dashboard = null;
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while ((line = await process.StandardOutput.ReadLineAsync(deadline.Token)) is not null && dashboard is null)
            {
                if (line.TrimStart().StartsWith("dashboard", StringComparison.Ordinal))
                {
                    dashboard = new Uri(line.Trim()["dashboard".Length..].Trim());
                }
            }

            Assert.NotNull(dashboard);
            Assert.Equal(IPAddress.Loopback.ToString(), dashboard.Host);
            using var http = new HttpClient { BaseAddress = dashboard };
            var run = JsonDocument.Parse(await http.GetStringAsync(new Uri($"api/runs/{ServeLab.FirstRun}", UriKind.Relative))).RootElement;
            Assert.Equal(LabCatalogue.All.Count, run.GetProperty("domainsEnumerated").GetInt32());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [AzuriteFact]
    public async Task Over_Table_Storage_serve_answers_as_over_the_run_directory_of_the_same_lab()
    {
        var runId = $"serve-{Guid.NewGuid():N}"[..20];
        var scan = await ServeLab.RunCliAsync(TimeSpan.FromMinutes(5), "scan", "--lab", lab.Lab.StateDirectory, "--store", "table", "--table-connection", Azurite.ConnectionString, "--run-id", runId);
        Assert.True(scan.ExitCode == 0, scan.Stderr + scan.Stdout);
        var table = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(Azurite.ConnectionString));
        await using var server = await Cli.ServeHost.StartAsync(StatisticsQueries.ForTable(table), IPAddress.Loopback, 0);
        using var http = new HttpClient { BaseAddress = server.Address };

        async Task<JsonElement> Get(HttpClient client, string path) => JsonDocument.Parse(await client.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement;
        // The lab is as it was for the second run (ServeLab changed one case before it).
        var fromTable = await Get(http, $"api/runs/{runId}");
        var fromDirectory = await Get(lab.Http, $"api/runs/{ServeLab.SecondRun}");
        Assert.Equal(fromDirectory.GetProperty("domainsByState").GetRawText(), fromTable.GetProperty("domainsByState").GetRawText());
        Assert.Equal(fromDirectory.GetProperty("headline").GetRawText(), fromTable.GetProperty("headline").GetRawText());
        Assert.Equal(fromDirectory.GetProperty("hostsByOutcome").GetRawText(), fromTable.GetProperty("hostsByOutcome").GetRawText());
        foreach (var dimension in new[] { "tld", "mx-provider", "tlsa-parameters" })
        {
            Assert.Equal(
                (await Get(lab.Http, $"api/runs/{ServeLab.SecondRun}/counts/{dimension}?top=1000")).GetRawText(),
                (await Get(http, $"api/runs/{runId}/counts/{dimension}?top=1000")).GetRawText());
        }

        var domain = LabCatalogue.All[0].Domain;
        Assert.Equal(
            (await Get(lab.Http, $"api/runs/{ServeLab.SecondRun}/domains/{domain}")).GetProperty("status").GetString(),
            (await Get(http, $"api/runs/{runId}/domains/{domain}")).GetProperty("status").GetString());
    }

    private static async Task<ServeLab.CliResult> RunWithoutTableConnectionAsync(params string[] args)
    {
        var saved = Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION");
        Environment.SetEnvironmentVariable("DANESCAN_TABLE_CONNECTION", null);
        try
        {
            return await ServeLab.RunCliAsync(TimeSpan.FromMinutes(1), args);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DANESCAN_TABLE_CONNECTION", saved);
        }
    }
}
