using System.Diagnostics;
using System.Text.RegularExpressions;
using DaneScan.Cli;

using DaneScan.Contracts;

namespace DaneScan.EndToEnd.Tests;

/// <summary>The program's contract with scripts: documented exit codes, errors instead of silent help, no stack traces.</summary>
[Trait("Category", "Integration")] // runs the program as a process
public sealed partial class CliContractTests
{
    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaneScan.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new FileNotFoundException("no DaneScan.sln above the test binaries", relative);
    }

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [Fact]
    public void The_documented_exit_code_table_is_the_programs_and_no_code_means_two_things()
    {
        var doc = File.ReadAllText(RepositoryFile("docs/exit-codes.md"));
        var documented = TableRow().Matches(doc).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)).ToList();

        Assert.NotEmpty(documented);
        Assert.Equal(documented.Count, documented.Select(d => d.Item1).Distinct().Count());
        Assert.Equal(documented.Count, documented.Select(d => d.Item2).Distinct().Count());
        Assert.Equal(ExitCodes.All.Count, ExitCodes.All.Select(e => e.Code).Distinct().Count());
        Assert.Equal(ExitCodes.All.Select(e => (e.Code, e.Name)), documented);
    }

    [Fact]
    public async Task An_unknown_command_is_an_error_with_exit_code_2()
    {
        var result = await Cli.RunAsync("frobnicate");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Unrecognized command or argument 'frobnicate'", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task No_command_is_an_error_not_the_help_with_success()
    {
        var result = await Cli.RunAsync();

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("give a command", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_of_scan_is_an_error()
    {
        var result = await Cli.RunAsync("scan", "--frobnicate", "list.txt");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--frobnicate", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_stopped_with_ctrl_c_says_interrupted_and_exits_130()
    {
        // The resolver self-check waits on an address that never answers: Ctrl-C (SIGINT) arrives meanwhile.
        using var process = Process.Start(Cli.Info(null, "check", "example.net", "--resolver", "192.0.2.1:53"))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(process.HasExited, "check ended before it could be interrupted");
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);

        Assert.Equal(ExitCodes.Interrupted, process.ExitCode);
        Assert.Equal("danescan check: interrupted", (await stderr).Trim());
        Assert.Equal(string.Empty, await stdout);
    }

    [Theory]
    [InlineData("mail.localhost")]
    [InlineData("x.onion")]
    [InlineData("a.test")]
    public async Task Check_refuses_special_use_names(string name)
    {
        var result = await Cli.RunAsync("check", name);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("SpecialUseName", result.Stderr, StringComparison.Ordinal);
    }
}
