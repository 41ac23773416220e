using System.Globalization;

namespace DaneScan.Lab.Hosting;

/// <summary>
/// Processes of the lab tracked by PID files. A PID counts as the lab's process only while
/// <c>/proc/&lt;pid&gt;/cmdline</c> still contains the marker (the process's configuration path), so a
/// reused PID is never signalled.
/// </summary>
public static class PidFile
{
    public static int? Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && pid > 1 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Write(string path, int pid) =>
        File.WriteAllText(path, pid.ToString(CultureInfo.InvariantCulture) + "\n");

    /// <summary>True when the process is alive and its command line contains <paramref name="marker"/>.</summary>
    public static bool IsRunning(int pid, string marker)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            if (!cmdline.Contains(marker, StringComparison.Ordinal))
            {
                return false;
            }

            // A zombie (exited, not yet reaped) is not running.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..];
            return afterName.Length > 0 && afterName[0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The PID in the file when that process is running with the marker; otherwise null.</summary>
    public static int? Running(string path, string marker) => Read(path) is { } pid && IsRunning(pid, marker) ? pid : null;

    /// <summary>Stops the process of a PID file: SIGTERM, then SIGKILL after the grace period. Removes the file.</summary>
    public static async Task StopAsync(string path, string marker, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (Running(path, marker) is { } pid)
        {
            await SignalAsync(pid, "TERM", cancellationToken).ConfigureAwait(false);
            var deadline = DateTime.UtcNow + grace;
            while (IsRunning(pid, marker) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            if (IsRunning(pid, marker))
            {
                await SignalAsync(pid, "KILL", cancellationToken).ConfigureAwait(false);
                var killDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
                while (IsRunning(pid, marker) && DateTime.UtcNow < killDeadline)
                {
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
            }

            if (IsRunning(pid, marker))
            {
                throw new LabException($"process {pid} ({marker}) did not stop");
            }
        }

        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static Task<ToolResult> SignalAsync(int pid, string signal, CancellationToken cancellationToken) =>
        Tool.RunAsync("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);
}
