using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using DaneScan.Contracts;
using DaneScan.Lab.Smtp;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan lab smtp --specs &lt;file.json&gt;</c> (hidden): runs the lab's scripted SMTP servers until SIGTERM or
/// SIGINT, then closes every listener and connection and exits 0. Started in the background by the lab orchestration.
/// </summary>
public static class LabSmtpCommand
{
    public static Command Create()
    {
        var specs = new Option<FileInfo>("--specs")
        {
            Description = "JSON file of SMTP host specs (ScriptedSmtpServers.WriteSpecs).",
            Required = true,
        };
        var readyFile = new Option<FileInfo?>("--ready-file")
        {
            Description = "Written (with the number of listeners) once every listener is bound.",
        };
        var pidFile = new Option<FileInfo?>("--pid-file")
        {
            Description = "Written with this process id at start, removed at exit.",
        };
        var command = new Command("smtp", "Run the lab's scripted SMTP servers until SIGTERM/SIGINT.")
        {
            Hidden = true,
        };
        command.Options.Add(specs);
        command.Options.Add(readyFile);
        command.Options.Add(pidFile);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(specs)!, parse.GetValue(readyFile), parse.GetValue(pidFile), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo specsFile, FileInfo? readyFile, FileInfo? pidFile, CancellationToken cancellationToken)
    {
        IReadOnlyList<SmtpHostSpec> specs;
        try
        {
            specs = ScriptedSmtpServers.ReadSpecs(specsFile.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"danescan lab smtp: cannot read {specsFile.FullName}: {e.Message}");
            return ExitCodes.Usage;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        if (pidFile is not null)
        {
            await File.WriteAllTextAsync(pidFile.FullName, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n", CancellationToken.None);
        }

        try
        {
            ScriptedSmtpServers servers;
            try
            {
                servers = await ScriptedSmtpServers.StartAsync(specs, stop.Token);
            }
            catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException or IOException or InvalidDataException
                or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"danescan lab smtp: cannot start: {e.Message}");
                return ExitCodes.LabFailed;
            }

            var tally = servers.Commands;
            await using (servers)
            {
                var count = servers.Endpoints.Count;
                if (readyFile is not null)
                {
                    await File.WriteAllTextAsync(readyFile.FullName, count.ToString(CultureInfo.InvariantCulture) + "\n", CancellationToken.None);
                }

                await Console.Out.WriteLineAsync($"danescan lab smtp: {count} listeners ready");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // SIGTERM or SIGINT: stop listening and close every connection.
                }
            }

            await Console.Out.WriteLineAsync($"danescan lab smtp: stopped; commands received: {tally}");
            return ExitCodes.Success;
        }
        finally
        {
            if (pidFile is not null)
            {
                File.Delete(pidFile.FullName);
            }
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
