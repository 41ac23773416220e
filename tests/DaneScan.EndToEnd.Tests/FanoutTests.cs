using System.Diagnostics;
using System.Text.Json;
using DaneScan.Lab;
using DaneScan.Lab.Scale;
using DaneScan.Lab.Testing;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// A fan-out domain (issue 11): ten MX names on one address whose server accepts connections and never speaks,
/// at the head of a list of ordinary scale domains, in a lab of its own (a free octet from 226-250). Each silent
/// connection waits out the 30 s banner deadline, so without the per-address budget one such domain costs ten of
/// them (five minutes) and holds a probe slot all the while. With a budget of one failure the domain ends after one
/// deadline with every host classified, and every ordinary domain of the list is recorded before it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FanoutTests
{
    private const int Ordinary = 60;
    private const int FanoutMx = 10;

    [Fact]
    public async Task A_fanout_domain_on_a_silent_address_ends_after_one_banner_deadline_and_stalls_no_other_domain()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-fanout-").FullName;
        var runs = Directory.CreateTempSubdirectory("danescan-fanout-runs-").FullName;
        try
        {
            await using var lab = await LabEnvironment.StartAsync(new LabOptions
            {
                Octet = LabEnvironment.FreeOctet(226, 250),
                StateDirectory = state,
                IncludeCases = false,
                Scale = new ScaleOptions { Domains = Ordinary, Hosts = 3, FanoutDomains = 1, FanoutMx = FanoutMx, Seed = 3 },
            });
            var scale = lab.Scale!;
            var fanout = Assert.Single(File.ReadAllLines(scale.FanoutFile!));
            Assert.Equal(fanout, scale.DomainNames[0]);

            var clock = Stopwatch.StartNew();
            var check = Cli.RunAsync("check", fanout, "--json", "--address-failure-budget", "1", "--lab", state);
            var scan = Cli.RunAsync("scan", "--lab", state, "--out", runs, "--run-id", "fanout", "--address-failure-budget", "1");
            var checkResult = await check;
            var checkTime = clock.Elapsed;
            var scanResult = await scan;
            var scanTime = clock.Elapsed;

            // check: one connection waits out the banner deadline; the other nine names are not tried.
            Assert.True(checkResult.ExitCode == 0, $"exit {checkResult.ExitCode}: {checkResult.Stderr}");
            Assert.True(checkTime < TimeSpan.FromSeconds(30 + 25), $"check of the fan-out domain took {checkTime}: more than one banner deadline");
            using (var doc = JsonDocument.Parse(checkResult.Stdout))
            {
                var hosts = doc.RootElement.GetProperty("verdict").GetProperty("payload").GetProperty("hosts").EnumerateArray().ToList();
                Assert.Equal(FanoutMx, hosts.Count);
                AssertFanoutHosts(hosts.Select(h => (h.GetProperty("outcome").GetString()!, h.GetProperty("reason").GetString()!)).ToList());
            }

            // scan: every ordinary domain is recorded before the fan-out domain, each as the lab expects.
            Assert.True(scanResult.ExitCode == 0, $"exit {scanResult.ExitCode}: {scanResult.Stderr}");
            Assert.True(scanTime < TimeSpan.FromSeconds(30 + 40), $"scan took {scanTime}");

            // The polite lower bound counts connections made: one to each address, none for the skipped names.
            Assert.Contains("polite lower bound 0.0 s (1 connections to the busiest address", scanResult.Stdout, StringComparison.Ordinal);
            var keys = File.ReadLines(Path.Combine(runs, "fanout", "domains.jsonl"))
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("key").GetString()!)
                .ToList();
            Assert.Equal(Ordinary + 1, keys.Count);
            Assert.Equal(fanout, keys[^1]);
            Assert.Equal(scale.DomainNames.Skip(1).Order(StringComparer.Ordinal), keys.Take(Ordinary).Order(StringComparer.Ordinal));
            Assert.Contains("mismatches 0", await CompareScaleAsync(scale.ExpectedFile, Path.Combine(runs, "fanout", "domains.jsonl")), StringComparison.Ordinal);
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
            Directory.Delete(runs, recursive: true);
        }
    }

    /// <summary>
    /// One connection met the silent server (Unreachable / Timeout, RFC 7672 §2.2: no banner, no delivery); the
    /// other names share its address and are skipped by the budget (NotProbed), none judged as anything else.
    /// </summary>
    private static void AssertFanoutHosts(IReadOnlyList<(string Outcome, string Reason)> hosts)
    {
        Assert.Equal(1, hosts.Count(h => h == ("Unreachable", "Timeout")));
        Assert.Equal(FanoutMx - 1, hosts.Count(h => h.Outcome == "NotProbed"));
    }

    /// <summary>The repository's independent comparison of a run with the lab's expected outcomes.</summary>
    private static async Task<string> CompareScaleAsync(string expected, string domains)
    {
        var script = Path.Combine(Repository.Root, "eng", "tools", "compare-scale.py");
        var info = new ProcessStartInfo("python3", [script, expected, domains]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output + errors);
        return output;
    }
}
