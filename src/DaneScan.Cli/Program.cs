using System.CommandLine;

namespace DaneScan.Cli;

/// <summary>The <c>danescan</c> command line. Each verb lives in its own file and is added here.</summary>
public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("DaneScan: measures the adoption and correctness of DANE for SMTP (RFC 7672).");
        // Verbs: one line each, kept sorted.
        root.Add(CheckCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(LabCommand.Create());
        root.Add(ScanCommand.Create());
        return root;
    }
}
