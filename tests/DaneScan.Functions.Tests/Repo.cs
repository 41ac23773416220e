using System.Diagnostics;
using DaneScan.Lab.Testing;

namespace DaneScan.Functions.Tests;

internal static class Repo
{
    public static string Root => Repository.Root;

    /// <summary>Runs a program with a deadline and returns its exit code and standard output.</summary>
    public static (int ExitCode, string Output, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
