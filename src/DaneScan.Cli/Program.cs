using System.CommandLine;
using DaneScan.Contracts;
using DaneScan.Pipeline.Lists;
using DaneScan.Storage;

namespace DaneScan.Cli;

/// <summary>The <c>danescan</c> command line. Each verb lives in its own file and is added here.</summary>
public static class Program
{
    /// <summary>Set to 1 to have an unexpected error print its stack trace after the one-line message.</summary>
    public const string DebugVariable = "DANESCAN_DEBUG";

    // Ctrl-C/SIGTERM cancel the verb's token; the verb then has this long before the process ends (the default
    // of 2 s is too short for `worker` to settle the messages it holds; the other verbs stop at once anyway).
    public static int Main(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        var verb = parse.CommandResult.Command == root ? "danescan" : $"danescan {Verb(parse)}";
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                Console.Error.WriteLine($"{verb}: {problem.Message}");
            }

            Console.Error.WriteLine($"Run '{verb} --help' for its commands and options.");
            return ExitCodes.Usage;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                ProcessTerminationTimeout = WorkerCommand.ShutdownGrace,
                // Exceptions come here, to be told in one line with a code of the table, not as a stack trace.
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e)
        {
            return Report(verb, e);
        }
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("DaneScan: measures the adoption and correctness of DANE for SMTP (RFC 7672). Exit codes: docs/exit-codes.md.");
        // Verbs: one line each, kept sorted.
        root.Add(CheckCommand.Create());
        root.Add(CompareCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(LabCommand.Create());
        root.Add(ScanCommand.Create());
        root.Add(ServeCommand.Create());
        root.Add(WorkerCommand.Create());
        // No verb: say so (the default would print the help and exit 0, as if something had been done).
        root.SetAction(_ =>
        {
            Console.Error.WriteLine("danescan: give a command (check, scan, export, lab, worker); run 'danescan --help' for them all.");
            return ExitCodes.Usage;
        });
        return root;
    }

    /// <summary>The one line and the exit code for an exception no command handled.</summary>
    public static int Report(string verb, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        var (code, line) = exception switch
        {
            OperationCanceledException => (ExitCodes.Interrupted, "interrupted"),
            ListReadException e => (ExitCodes.ListUnreadable, OneLine(e.Message)),
            StorageException e => (e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed, $"storage: {OneLine(e.Message)}"),
            _ => (ExitCodes.InternalError, $"internal error: {exception.GetType().Name}: {OneLine(exception.Message)}" +
                (Environment.GetEnvironmentVariable(DebugVariable) == "1" ? string.Empty : $" (a bug; set {DebugVariable}=1 for the stack trace)")),
        };
        Console.Error.WriteLine($"{verb}: {line}");
        if (code == ExitCodes.InternalError && Environment.GetEnvironmentVariable(DebugVariable) == "1")
        {
            Console.Error.WriteLine(exception.ToString());
        }

        return code;
    }

    private static string Verb(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null && result.Parent is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private static string OneLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
