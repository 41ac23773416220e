using BenchmarkDotNet.Running;

namespace DaneScan.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/DaneScan.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
