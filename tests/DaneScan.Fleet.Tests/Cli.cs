using System.Diagnostics;
using System.Text;

namespace DaneScan.Fleet.Tests;

/// <summary>Runs the real <c>danescan</c> program (built beside the tests) as an operator would.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs to the end (at most three minutes) with the given extra environment (null removes a variable).</summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var running = Start(environment, args);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await running.WaitAsync(deadline.Token);
    }

    public static Running Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "danescan.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return new Running(Process.Start(info)!);
    }

    /// <summary>A started program whose output is collected as it comes.</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        public Running(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
            _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Id => _process.Id;

        public string Output
        {
            get
            {
                lock (_stdout)
                {
                    lock (_stderr)
                    {
                        return _stdout + "\n" + _stderr;
                    }
                }
            }
        }

        /// <summary>Waits until the output (stdout or stderr) contains the text.</summary>
        public async Task WaitForOutputAsync(string text, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"danescan exited ({_process.ExitCode}) before writing '{text}':\n{Output}");
                }

                await Task.Delay(100, deadline.Token);
            }
        }

        /// <summary>Sends SIGTERM, as a service manager stopping the worker does.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async Task<Result> WaitAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                throw;
            }

            _process.WaitForExit();
            lock (_stdout)
            {
                lock (_stderr)
                {
                    return new Result(_process.ExitCode, _stdout.ToString(), _stderr.ToString());
                }
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private static void Append(StringBuilder sb, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (sb)
            {
                sb.AppendLine(line);
            }
        }
    }
}
