using BenchmarkDotNet.Running;
using DaneScan.Benchmarks.Cost;

namespace DaneScan.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/DaneScan.Benchmarks -- --filter '*'</c>;
/// or the fleet cost measurement: <c>... -- cost --lab /tmp/danescan-lab-64</c> (see docs/cost.md).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["cost", .. var rest])
        {
            return await CostCommand.RunAsync(rest);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
