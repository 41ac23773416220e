using System.CommandLine;

namespace DaneScan.Cli;

/// <summary>The <c>danescan</c> command line. Each verb lives in its own file and is added here.</summary>
public static class Program
{
    // Ctrl-C/SIGTERM cancel the verb's token; the verb then has this long before the process ends (the default
    // of 2 s is too short for `worker` to settle the messages it holds; the other verbs stop at once anyway).
    public static int Main(string[] args) =>
        BuildRoot().Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = WorkerCommand.ShutdownGrace });

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("DaneScan: measures the adoption and correctness of DANE for SMTP (RFC 7672).");
        // Verbs: one line each, kept sorted.
        root.Add(CheckCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(LabCommand.Create());
        root.Add(ScanCommand.Create());
        root.Add(ServeCommand.Create());
        root.Add(WorkerCommand.Create());
        return root;
    }
}
