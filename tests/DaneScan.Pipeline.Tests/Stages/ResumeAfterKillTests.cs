using System.Diagnostics;
using System.Text.Json;
using DaneScan.Contracts;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Stages;
using DaneScan.Storage;
using DaneScan.Storage.Tests;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>
/// <c>danescan scan</c> as a child process against the lab, killed with SIGKILL mid-way and rerun with the
/// same run id: every domain ends up recorded exactly once (none lost, none duplicated), in the run directory
/// store and, when Azurite is there (DANESCAN_TABLE_CONNECTION, set by eng/test.sh), in the Table store (whose
/// lock a killed scan leaves behind until its lease expires).
/// </summary>
[Trait("Category", "Integration")]
[Collection(PipelineLabCollection.Name)]
public sealed class ResumeAfterKillTests(PipelineLab fixture) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"danescan-resume-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private IReadOnlySet<string> ExpectedDomains() =>
        LabCatalogue.All.Select(c => c.Domain).Concat(fixture.Scale.DomainNames).ToHashSet(StringComparer.Ordinal);

    private string[] ScanArgs(string runId, params string[] extra) =>
        ["scan", "--lab", fixture.Lab.StateDirectory, "--out", _root, "--run-id", runId, "--dns-concurrency", "2", "--smtp-concurrency", "2", .. extra];

    [Fact]
    public async Task Run_directory_killed_mid_way_and_rerun_has_every_domain_once()
    {
        var domainsFile = Path.Combine(_root, "r1", RunDirectoryStore.DomainsFile);

        var killedAfter = await StartAndKillAsync(ScanArgs("r1"), () => CountLines(domainsFile));

        var rerun = await RunAsync(ScanArgs("r1"));
        Assert.True(rerun.ExitCode == 0, $"rerun failed ({rerun.ExitCode}): {rerun.Stderr}\n{rerun.Stdout}");
        Assert.Contains("state: Completed", rerun.Stdout, StringComparison.Ordinal);

        // Raw lines (not the store's index): each domain exactly once.
        var keys = new List<string>();
        foreach (var line in await File.ReadAllLinesAsync(domainsFile))
        {
            using var doc = JsonDocument.Parse(line);
            keys.Add(doc.RootElement.GetProperty("key").GetString()!);
        }

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ExpectedDomains().Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.InRange(killedAfter, 1, keys.Count - 1);

        // Every probe a recorded domain references is stored.
        await using var store = new RunDirectoryStore(_root);
        await foreach (var record in store.EnumerateDomainsAsync("r1"))
        {
            foreach (var key in record.ProbeKeys)
            {
                var parts = key.Split('|');
                Assert.NotNull(await store.ReadProbeAsync("r1", parts[0], parts[1]));
            }
        }

        var manifest = await store.ReadManifestAsync("r1");
        Assert.Equal(RunState.Completed, manifest!.State);
        Assert.Equal(keys.Count, manifest.Counts.DomainsRecorded);

        // The rerun counted its statistics as it stored records, the killed attempt's records when it started:
        // the same numbers as counting everything the store holds afterwards.
        var stored = await store.ReadStatisticsAsync("r1");
        var recounted = await RunSummary.ComputeAsync(store, "r1", manifest);
        Assert.Equal(keys.Count, stored!.Counts["domains|total"]);
        Assert.Equal(recounted.ToStatistics(stored.ComputedUtc).Counts.OrderBy(kv => kv.Key, StringComparer.Ordinal), stored.Counts.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [AzuriteFact]
    public async Task Table_store_killed_mid_way_and_rerun_has_every_domain_once()
    {
        var connection = Azurite.ConnectionString;
        var runId = $"kill-{Guid.NewGuid():N}"[..20];
        var store = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(connection));
        async Task<int> CountAsync()
        {
            var n = 0;
            await foreach (var _ in store.EnumerateDomainNamesAsync(runId))
            {
                n++;
            }

            return n;
        }

        // A killed scan cannot release its run's lock: the lease (10 s here, renewed every 3.3 s, so it ends 6.7 to 10 s
        // after the kill) expires, and only then may the run be resumed.
        string[] args = ScanArgs(runId, "--store", "table", "--table-connection", connection, "--lock-lease", "10");
        var killedAfter = await StartAndKillAsync(args, () => CountAsync().GetAwaiter().GetResult());
        var killedAt = Stopwatch.StartNew();
        var early = await RunAsync(args);
        if (killedAt.Elapsed < TimeSpan.FromSeconds(6))
        {
            Assert.True(early.ExitCode == 7, $"a rerun within the killed scan's lease was not refused ({early.ExitCode}): {early.Stderr}");
            Assert.Contains("is being written by process ", early.Stderr, StringComparison.Ordinal);
        }

        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 11 - killedAt.Elapsed.TotalSeconds)));
        var rerun = await RunAsync(args);
        Assert.True(rerun.ExitCode == 0, $"rerun failed ({rerun.ExitCode}): {rerun.Stderr}\n{rerun.Stdout}");

        var names = new List<string>();
        await foreach (var name in store.EnumerateDomainNamesAsync(runId))
        {
            names.Add(name);
        }

        Assert.Equal(ExpectedDomains().Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.InRange(killedAfter, 1, names.Count - 1);
        Assert.Equal(RunState.Completed, (await store.ReadManifestAsync(runId))!.State);
    }

    private static int CountLines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var n = 0;
            while (reader.ReadLine() is not null)
            {
                n++;
            }

            return n;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Starts the scan, waits until some domains are recorded, kills it with SIGKILL; returns how many were recorded then.</summary>
    private static async Task<int> StartAndKillAsync(string[] args, Func<int> recorded)
    {
        using var process = Process.Start(Info(args))!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (recorded() < 20)
        {
            Assert.False(process.HasExited, "the scan ended before it could be killed");
            Assert.True(DateTime.UtcNow < deadline, "the scan recorded nothing in time");
            await Task.Delay(20);
        }

        process.Kill(entireProcessTree: true); // SIGKILL
        await process.WaitForExitAsync();
        Assert.NotEqual(0, process.ExitCode);
        return recorded();
    }

    private static ProcessStartInfo Info(string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "danescan.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        using var process = Process.Start(Info(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
