using System.CommandLine;
using System.Net;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Storage;
using Microsoft.AspNetCore.Connections;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan serve</c>: the statistics API of the Functions app (the same routes, JSON and OpenAPI
/// document, answered by the same handlers) and the dashboard, over run directories or Table Storage,
/// read-only, on loopback by default (docs/serve.md).
/// </summary>
public static class ServeCommand
{
    public const int DefaultPort = 8080;

    public static Command Create()
    {
        var runsDir = new Option<string>("--runs-dir") { Description = "Root of the run directories (what `danescan scan --out` wrote to).", DefaultValueFactory = _ => "danescan-runs" };
        var storeKind = new Option<string>("--store") { Description = "Where the runs are: dir (run directories) or table (Table Storage).", DefaultValueFactory = _ => "dir" };
        storeKind.AcceptOnlyFromAmong("dir", "table");
        var table = new Option<string?>("--table-connection")
        {
            Description = "Table Storage connection string (\"UseDevelopmentStorage=true\" for Azurite). Default: $DANESCAN_TABLE_CONNECTION.",
        };
        var tablePrefix = new Option<string>("--table-prefix") { Description = "Prefix of the Table Storage tables.", DefaultValueFactory = _ => new TableStoreOptions().TablePrefix };
        var listen = new Option<string>("--listen") { Description = "Address to listen on. Default 127.0.0.1 (this machine only); the API has no authentication.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = $"TCP port (0: any free port).", DefaultValueFactory = _ => DefaultPort };

        var command = new Command("serve", "Serve the statistics API (as the Functions app does) and the dashboard over run directories or Table Storage, read-only.");
        foreach (var option in new Option[] { runsDir, storeKind, table, tablePrefix, listen, port })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(runsDir)!,
            parse.GetValue(storeKind) == "table",
            parse.GetValue(table) ?? Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION"),
            parse.GetValue(tablePrefix)!,
            parse.GetValue(listen)!,
            parse.GetValue(port),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string runsDir, bool tableWanted, string? tableConnection, string tablePrefix, string listenText, int port, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(listenText, out var listen))
        {
            await Console.Error.WriteLineAsync($"danescan serve: --listen '{listenText}' is not an IP address (for example 127.0.0.1 or ::1)");
            return ExitCodes.Usage;
        }

        if (port is < 0 or > 65535)
        {
            await Console.Error.WriteLineAsync($"danescan serve: --port {port} is not a TCP port (0-65535)");
            return ExitCodes.Usage;
        }

        var (queries, source, failed) = await StatisticsSource.OpenAsync("serve", runsDir, tableWanted, tableConnection, tablePrefix, cancellationToken);
        if (queries is null)
        {
            return failed;
        }

        ServeHost host;
        try
        {
            host = await ServeHost.StartAsync(queries, listen, port, cancellationToken: cancellationToken);
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            await Console.Error.WriteLineAsync($"danescan serve: cannot listen on {listenText}:{port}: the address is in use");
            return ExitCodes.CannotListen;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"danescan serve: cannot listen on {listenText}:{port}: {e.Message}");
            return ExitCodes.CannotListen;
        }

        await using (host)
        {
            if (!IPAddress.IsLoopback(listen))
            {
                await Console.Error.WriteLineAsync($"danescan serve: warning: listening on {listen}, reachable from other machines; the API asks for no key");
            }

            await Console.Out.WriteLineAsync($"danescan serve: {source}");
            await Console.Out.WriteLineAsync($"  dashboard  {host.Address}");
            await Console.Out.WriteLineAsync($"  API        {host.Address}{ApiRoutes.Prefix}/runs   (OpenAPI: {host.Address}{ApiRoutes.Prefix}/{ApiRoutes.OpenApiDocument})");
            await Console.Out.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C / SIGTERM: stop listening and leave.
            }
        }

        return ExitCodes.Success;
    }
}
