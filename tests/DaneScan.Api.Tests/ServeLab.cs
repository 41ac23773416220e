using System.Diagnostics;
using System.Net;
using DaneScan.Cli;
using DaneScan.Lab.Testing;

namespace DaneScan.Api.Tests;

/// <summary>
/// A lab on 127.66.0.0/16, two runs of <c>danescan scan --lab</c> over its case domains (run directories in a
/// scratch root; before the second, the lab is restarted with <see cref="ChangedCase"/>'s TLSA records matching nothing), and <c>danescan serve</c>'s HTTP server over them on a free loopback port, for the whole
/// assembly.
/// </summary>
public sealed class ServeLab : LabFixture, IAsyncLifetime
{
    public const byte Octet = 66;
    public const string FirstRun = "lab-1";
    public const string SecondRun = "lab-2";

    /// <summary>The case whose TLSA records match nothing in <see cref="SecondRun"/> (a DANE-EE case, Verified in <see cref="FirstRun"/>).</summary>
    public const string ChangedCase = "ee-11";

    public ServeLab()
        : base(Octet)
    {
    }

    public string Runs { get; } = Path.Combine(Path.GetTempPath(), $"danescan-serve-test-{Guid.NewGuid():N}");

    public ServeHost Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>What <c>danescan scan</c> printed for each run (its end-of-run summary), by run id.</summary>
    public Dictionary<string, string> ScanOutput { get; } = new(StringComparer.Ordinal);

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var run in new[] { FirstRun, SecondRun })
        {
            if (run == SecondRun)
            {
                // Between the runs one case's TLSA records change to match nothing: the comparison must find exactly that domain.
                await RestartAsync(o => o with { TlsaMatchingNothing = [ChangedCase] });
            }

            var scan = await RunCliAsync(TimeSpan.FromMinutes(5), "scan", "--lab", Lab.StateDirectory, "--out", Runs, "--run-id", run);
            if (scan.ExitCode != 0)
            {
                throw new InvalidOperationException($"danescan scan failed ({scan.ExitCode}): {scan.Stderr}\n{scan.Stdout}");
            }

            ScanOutput[run] = scan.Stdout;
        }

        Server = await ServeHost.StartAsync(StatisticsQueries.ForRunDirectories(new ReadOnlyRunDirectories(Runs)), IPAddress.Loopback, 0);
        Http = new HttpClient { BaseAddress = Server.Address };
    }

    public new async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await base.DisposeAsync();
        if (Directory.Exists(Runs))
        {
            Directory.Delete(Runs, recursive: true);
        }
    }

    public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the real <c>danescan</c> program (built beside the tests) as a user would.</summary>
    public static async Task<CliResult> RunCliAsync(TimeSpan deadline, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "danescan.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"danescan {string.Join(' ', args)} did not finish in {deadline}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeLab>
{
    public const string Name = "serve lab";
}
