using System.Diagnostics;

namespace DaneScan.Api.Tests;

/// <summary>
/// The browser and OpenAPI checks are Node scripts (js/) run with the packages eng/prereqs.sh installs in
/// .tools/browser-test and Debian's Chromium. Missing tools fail the test with what to run: the checks are part
/// of the test suite, not optional.
/// </summary>
internal static class NodeTools
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Modules => Path.Combine(RepoRoot, ".tools", "browser-test", "node_modules");

    public const string Chromium = "/usr/bin/chromium";

    public static async Task<(int ExitCode, string Output)> RunScriptAsync(string script, params string[] args)
    {
        Assert.True(Directory.Exists(Path.Combine(Modules, "puppeteer-core")), $"{Modules} lacks puppeteer-core: run eng/prereqs.sh");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepoRoot, "tests", "DaneScan.Api.Tests", "js", script));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NODE_PATH"] = Modules;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in 3 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DaneScan.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("DaneScan.sln not found above " + AppContext.BaseDirectory);
    }
}
