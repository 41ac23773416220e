using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using DaneScan.Contracts;
using DaneScan.Lab;
using DaneScan.Lab.Dns;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan lab relay --listen A:P --upstream A:P --rtt MS</c> (hidden): runs the lab's delaying DNS relay until
/// SIGTERM or SIGINT, then exits 0. Started in the background by <c>danescan lab up --rtt</c>.
/// </summary>
public static class LabRelayCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Address:port to listen on (UDP and TCP).", Required = true };
        var upstream = new Option<string>("--upstream") { Description = "Address:port of the authoritative server.", Required = true };
        var rtt = new Option<double>("--rtt") { Description = "Milliseconds each query is held before it is passed on.", Required = true };
        var readyFile = new Option<FileInfo?>("--ready-file") { Description = "Written once the relay listens." };
        var command = new Command("relay", "Run the lab's delaying DNS relay until SIGTERM/SIGINT.") { Hidden = true };
        command.Options.Add(listen);
        command.Options.Add(upstream);
        command.Options.Add(rtt);
        command.Options.Add(readyFile);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(listen)!, parse.GetValue(upstream)!, parse.GetValue(rtt), parse.GetValue(readyFile), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string listenText, string upstreamText, double rttMs, FileInfo? readyFile, CancellationToken cancellationToken)
    {
        if (!IPEndPoint.TryParse(listenText, out var listen) || !IPEndPoint.TryParse(upstreamText, out var upstream))
        {
            await Console.Error.WriteLineAsync($"danescan lab relay: --listen and --upstream must be address:port, not '{listenText}' and '{upstreamText}'");
            return ExitCodes.Usage;
        }

        if (!double.IsFinite(rttMs) || rttMs < 0 || rttMs > 5000)
        {
            await Console.Error.WriteLineAsync($"danescan lab relay: --rtt must be between 0 and 5000 ms, not {rttMs.ToString(CultureInfo.InvariantCulture)}");
            return ExitCodes.Usage;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        DelayRelay relay;
        try
        {
            relay = DelayRelay.Start(listen, upstream, TimeSpan.FromMilliseconds(rttMs));
        }
        catch (LabException e)
        {
            await Console.Error.WriteLineAsync($"danescan lab relay: {e.Message}");
            return ExitCodes.LabFailed;
        }

        await using (relay)
        {
            if (readyFile is not null)
            {
                await File.WriteAllTextAsync(readyFile.FullName, listen + "\n", CancellationToken.None);
            }

            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"danescan lab relay: {listen} -> {upstream}, {rttMs} ms"));
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or SIGINT.
            }
        }

        await Console.Out.WriteLineAsync($"danescan lab relay: stopped after {relay.Relayed} relayed messages");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
