using System.Diagnostics;

namespace DaneScan.EndToEnd.Tests;

/// <summary>Runs the real <c>danescan</c> program (built beside the tests) as a user would.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "danescan.dll");

    public static Task<Result> RunAsync(params string[] args) => RunAsAsync(null, args);

    /// <summary>Runs the program as another user (setpriv), for what root would be allowed to do anyway (reading a mode-000 file).</summary>
    public static async Task<Result> RunAsAsync(string? user, params string[] args)
    {
        using var process = Process.Start(Info(user, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(deadline.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>How to start the program (the caller starts, signals and waits for it).</summary>
    public static ProcessStartInfo Info(string? user, params string[] args)
    {
        var info = new ProcessStartInfo(user is null ? "dotnet" : "setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (user is not null)
        {
            foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--clear-groups", "dotnet" })
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["HOME"] = Path.GetTempPath();
            info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        }

        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }
}
