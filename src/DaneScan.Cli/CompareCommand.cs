using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Statistics;
using DaneScan.Storage;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan compare &lt;run-a&gt; &lt;run-b&gt;</c>: two runs domain by domain (states over all MX hosts,
/// Verified and Trusted apart): the domains that changed, counted by transition, and with
/// <c>--transition FROM-&gt;TO</c> those domains page by page. The same computation and JSON as
/// <c>GET /api/runs/{a}/compare/{b}</c>.
/// </summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var runA = new Argument<string>("run-a") { Description = "The earlier run id." };
        var runB = new Argument<string>("run-b") { Description = "The later run id." };
        var transition = new Option<string?>("--transition") { Description = "List the domains with this transition, for example NotDane->Verified or Verified->Failing (states, or Absent)." };
        var page = new Option<int>("--page") { Description = "Page of --transition's domains (1-based).", DefaultValueFactory = _ => 1 };
        var pageSize = new Option<int>("--page-size") { Description = $"Domains per page, 1-{PageRequest.MaxTop}.", DefaultValueFactory = _ => PageRequest.DefaultTop };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer instead of text." };
        var runsDir = new Option<string>("--runs-dir") { Description = "Root of the run directories (what `danescan scan --out` wrote to).", DefaultValueFactory = _ => "danescan-runs" };
        var storeKind = new Option<string>("--store") { Description = "Where the runs are: dir (run directories) or table (Table Storage).", DefaultValueFactory = _ => "dir" };
        storeKind.AcceptOnlyFromAmong("dir", "table");
        var table = new Option<string?>("--table-connection") { Description = "Table Storage connection string. Default: $DANESCAN_TABLE_CONNECTION." };
        var tablePrefix = new Option<string>("--table-prefix") { Description = "Prefix of the Table Storage tables.", DefaultValueFactory = _ => new TableStoreOptions().TablePrefix };

        var command = new Command("compare", "Compare two runs domain by domain: which domains became DANE-protected, broke, were fixed, appeared or went.");
        command.Arguments.Add(runA);
        command.Arguments.Add(runB);
        foreach (var option in new Option[] { transition, page, pageSize, json, runsDir, storeKind, table, tablePrefix })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(runA)!, parse.GetValue(runB)!, parse.GetValue(transition), parse.GetValue(page), parse.GetValue(pageSize), parse.GetValue(json),
            parse.GetValue(runsDir)!, parse.GetValue(storeKind) == "table", parse.GetValue(table) ?? Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION"),
            parse.GetValue(tablePrefix)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        string runA, string runB, string? transitionText, int page, int pageSize, bool json, string runsDir, bool tableWanted, string? tableConnection,
        string tablePrefix, CancellationToken cancellationToken)
    {
        foreach (var id in new[] { runA, runB })
        {
            if (!RunIds.IsValid(id))
            {
                await Console.Error.WriteLineAsync($"danescan compare: '{SafeText.ForTerminal(id)}' is not a run id ({RunIds.Rule})");
                return ExitCodes.Usage;
            }
        }

        if (page < 1 || pageSize < 1 || pageSize > PageRequest.MaxTop)
        {
            await Console.Error.WriteLineAsync($"danescan compare: --page must be at least 1 and --page-size from 1 to {PageRequest.MaxTop}");
            return ExitCodes.Usage;
        }

        string? transition = null;
        if (transitionText is not null)
        {
            transition = RunComparison.ParseTransition(transitionText, out var problem);
            if (transition is null)
            {
                await Console.Error.WriteLineAsync($"danescan compare: --transition: {SafeText.ForTerminal(problem)}");
                return ExitCodes.Usage;
            }
        }

        var (queries, _, failed) = await StatisticsSource.OpenAsync("compare", runsDir, tableWanted, tableConnection, tablePrefix, cancellationToken);
        if (queries is null)
        {
            return failed;
        }

        RunAnswer<RunComparisonAnswer>? answer;
        try
        {
            answer = await queries.CompareRunsAsync(runA, runB, transition, new PageRequest(pageSize, page.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        }
        catch (StorageException e)
        {
            await Console.Error.WriteLineAsync($"danescan compare: storage fault: {e.Message}");
            return e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed;
        }

        if (answer is null)
        {
            await Console.Error.WriteLineAsync($"danescan compare: no run '{runA}' or no run '{runB}'");
            return ExitCodes.NoSuchRun;
        }

        var c = answer.Value;
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(c, StatisticsHandlers.Json));
            return ExitCodes.Success;
        }

        var changed = c.Transitions.Sum(t => t.Domains);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{c.RunA} ({c.DomainsA} domains) -> {c.RunB} ({c.DomainsB} domains): {c.Unchanged} unchanged, {changed} changed (states over all MX hosts)"));
        foreach (var t in c.Transitions)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t.From + " -> " + t.To,-32} {t.Domains,10}"));
        }

        if (c.Domains is { } d)
        {
            var pages = (d.Domains + pageSize - 1) / pageSize;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"domains {d.Transition.Replace(RunComparison.Arrow.ToString(), " -> ", StringComparison.Ordinal)} (page {page} of {Math.Max(pages, 1)}, {d.Domains} in all):"));
            foreach (var domain in d.Items)
            {
                Console.Out.WriteLine("  " + SafeText.ForTerminal(domain));
            }
        }

        return ExitCodes.Success;
    }
}
