using System.Diagnostics;
using System.Text;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>Runs an independent command-line tool (openssl, bash) with a deadline and captures its output.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + "\n" + StdErr;
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, string? stdin = null, int timeoutSeconds = 30)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {timeoutSeconds} s");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A shell pipeline (for openssl ... | openssl ...).</summary>
    public static Task<Result> ShellAsync(string script, int timeoutSeconds = 30) =>
        RunAsync("/bin/bash", ["-c", "set -o pipefail; " + script], null, timeoutSeconds);

    /// <summary>
    /// <c>openssl s_client -starttls smtp -debug</c> against a server; input is sent after the handshake
    /// (with -ign_eof, so the server's replies to it are read until it closes the connection).
    /// </summary>
    public static Task<Result> SClientAsync(string address, int port, string? serverName = null, IEnumerable<string>? extra = null,
        string? input = null, int timeoutSeconds = 20)
    {
        var arguments = new List<string> { "s_client", "-starttls", "smtp", "-connect", $"{address}:{port}", "-showcerts", "-crlf" };
        if (serverName is not null)
        {
            arguments.AddRange(["-servername", serverName]);
        }

        if (input is not null)
        {
            arguments.Add("-ign_eof");
        }

        arguments.AddRange(extra ?? []);
        return RunAsync("openssl", arguments, input ?? string.Empty, timeoutSeconds);
    }

    /// <summary>The plaintext the server sent, reconstructed from openssl's -debug hex dumps ("read from" blocks).</summary>
    public static string DebugReads(string output)
    {
        var text = new StringBuilder();
        var reading = false;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("read from ", StringComparison.Ordinal))
            {
                reading = true;
                continue;
            }

            if (line.StartsWith("write to ", StringComparison.Ordinal))
            {
                reading = false;
                continue;
            }

            // "0000 - 32 32 30 20 ...-... 45 53 4d 54   220 refused ESMT"
            if (reading && line.Length > 7 && line[4] == ' ' && line[5] == '-' && int.TryParse(line.AsSpan(0, 4), System.Globalization.NumberStyles.HexNumber, null, out _))
            {
                var hex = line.Substring(7, Math.Min(48, line.Length - 7)).Replace('-', ' ');
                foreach (var part in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (part.Length == 2 && byte.TryParse(part, System.Globalization.NumberStyles.HexNumber, null, out var b))
                    {
                        text.Append((char)b);
                    }
                }
            }
            else if (reading && !line.StartsWith("    ", StringComparison.Ordinal))
            {
                reading = false;
            }
        }

        return text.ToString();
    }
}
