using System.CommandLine;
using Azure;
using Azure.Identity;
using DaneScan.Contracts;
using DaneScan.Fleet.Worker;
using DaneScan.Pipeline.Politeness;
using DaneScan.ServiceBus;
using DaneScan.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan worker</c>: the resolve and probe stages as a long-running process that consumes the fleet's
/// Service Bus queues and writes to its Table Storage, for machines that may open port 25 when the Functions
/// plan may not. The host logic is <see cref="FleetWorker"/> (src/DaneScan.Fleet); this verb parses and
/// checks the settings, runs the resolver self-check, connects and runs until Ctrl-C or SIGTERM.
/// </summary>
public static class WorkerCommand
{
    /// <summary>How long the process may take to stop after Ctrl-C/SIGTERM: the longest drain plus time to close.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(WorkerSettings.MaxDrainTimeoutSeconds + 10);

    public static Command Create()
    {
        var defaults = new WorkerSettings();
        var queues = new Option<string>("--queues")
        {
            Description = "The queues to consume: resolve, probe, or resolve,probe. A worker that may not open port 25 takes resolve only; one that may takes probe (or both).",
            DefaultValueFactory = _ => defaults.Queues,
        };
        var serviceBus = new Option<string?>("--service-bus")
        {
            Description = $"The Service Bus namespace, e.g. danescan-sb.servicebus.windows.net (signs in with an Azure identity); default: the connection string in {WorkerSettings.ServiceBusVariable}.",
        };
        var tables = new Option<string?>("--tables")
        {
            Description = $"The table service URI, e.g. https://danescanst.table.core.windows.net (signs in with an Azure identity); default: the connection string in {WorkerSettings.TablesVariable}.",
        };
        var identity = new Option<string?>("--managed-identity")
        {
            Description = "Client id of a user-assigned managed identity to sign in with (default: DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI).",
        };
        var tablePrefix = new Option<string>("--table-prefix")
        {
            Description = "Prefix of the table names; the Functions app's default, so both write the same tables.",
            DefaultValueFactory = _ => defaults.TablePrefix,
        };
        var resolveConcurrency = new Option<int>("--resolve-concurrency") { Description = "Resolve batches handled at once.", DefaultValueFactory = _ => defaults.ResolveConcurrency };
        var probeConcurrency = new Option<int>("--probe-concurrency") { Description = "Probe requests handled at once (also the cap on open SMTP connections; never more than one per address).", DefaultValueFactory = _ => defaults.ProbeConcurrency };
        var statusInterval = new Option<int>("--status-interval") { Description = "Seconds between status lines with the counts.", DefaultValueFactory = _ => defaults.StatusIntervalSeconds };
        var drainTimeout = new Option<int>("--drain-timeout")
        {
            Description = $"On Ctrl-C/SIGTERM, seconds the messages in hand may take to finish before they are abandoned for redelivery (at most {WorkerSettings.MaxDrainTimeoutSeconds}).",
            DefaultValueFactory = _ => defaults.DrainTimeoutSeconds,
        };
        var settings = new ScannerSettings();
        var command = new Command("worker", "Run the resolve and/or probe stage of the Azure fleet on this machine: consume the Service Bus queues, write to Table Storage, until Ctrl-C or SIGTERM.");
        foreach (var option in new Option[] { queues, serviceBus, tables, identity, tablePrefix, resolveConcurrency, probeConcurrency, statusInterval, drainTimeout })
        {
            command.Options.Add(option);
        }

        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse,
            settings,
            new WorkerSettings
            {
                Queues = parse.GetValue(queues)!,
                ServiceBus = parse.GetValue(serviceBus) ?? Environment.GetEnvironmentVariable(WorkerSettings.ServiceBusVariable),
                Tables = parse.GetValue(tables) ?? Environment.GetEnvironmentVariable(WorkerSettings.TablesVariable),
                ManagedIdentityClientId = parse.GetValue(identity),
                TablePrefix = parse.GetValue(tablePrefix)!,
                ResolveConcurrency = parse.GetValue(resolveConcurrency),
                ProbeConcurrency = parse.GetValue(probeConcurrency),
                StatusIntervalSeconds = parse.GetValue(statusInterval),
                DrainTimeoutSeconds = parse.GetValue(drainTimeout),
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, ScannerSettings scanner, WorkerSettings worker, CancellationToken cancellationToken)
    {
        var error = Console.Error;
        var problems = worker.Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"danescan worker: {problem}");
            }

            return ExitCodes.Usage;
        }

        // The same engine, politeness and resolver self-check as `danescan scan`; the probe concurrency is the SMTP cap.
        var limits = new ConnectionLimits { MaxConcurrentConnections = worker.ProbeConcurrency };
        var (context, buildError, exit) = await scanner.BuildAsync(parse, limits, cancellationToken);
        if (context is null)
        {
            await error.WriteLineAsync($"danescan worker: {buildError}");
            return exit;
        }

        using (context)
        {
            if (context.Warning is { } warning)
            {
                await error.WriteLineAsync($"danescan worker: WARNING: {warning}");
            }

            using var loggers = LoggerFactory.Create(b => b
                .AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'Z' ";
                    o.UseUtcTimestamp = true;
                })
                .AddFilter("Azure", LogLevel.Warning)
                .SetMinimumLevel(LogLevel.Information));
            await error.WriteLineAsync($"danescan worker: {worker.Describe()}; resolver {context.ResolverEndpoint}, SMTP port {context.Checker.SmtpPort}");

            WorkerRuntime runtime;
            try
            {
                runtime = await WorkerRuntime.OpenAsync(worker, context, loggers, cancellationToken);
            }
            catch (Exception e) when (e is StorageException or RequestFailedException or AuthenticationFailedException)
            {
                await error.WriteLineAsync($"danescan worker: Table Storage: {FirstLine(e.Message)} (the identity needs the 'Storage Table Data Contributor' role)");
                return ExitCodes.StorageFailed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }

            await using (runtime)
            {
                var report = await runtime.Worker.RunAsync(cancellationToken);
                if (report.FatalError is { } fatal)
                {
                    await error.WriteLineAsync($"danescan worker: stopped: {fatal}");
                    return ExitCodes.ServiceBusFailed;
                }

                await error.WriteLineAsync($"danescan worker: stopped; {report.Counts}");
                return ExitCodes.Success;
            }
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
