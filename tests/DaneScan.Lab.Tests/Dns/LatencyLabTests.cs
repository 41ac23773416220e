using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>
/// <c>danescan lab up --rtt</c>: a delaying relay sits between unbound and nsd, and SMTP replies come late. Behaviour
/// checks with generous bounds, not benchmarks. Octets 190-199.
/// A lower bound ("at least one RTT") is checked against the wall time of the whole dig run on the monotonic
/// clock, which cannot be shorter than the relay's hold; an upper bound ("no added delay") against dig's own
/// query time, which excludes dig's start-up. dig reads a coarse clock (one kernel tick, 4 ms at 250 Hz), so its
/// query time can come out a few milliseconds short of a hold the relay measured precisely: never a lower bound.
/// </summary>
public sealed partial class LatencyLabTests
{
    private const int RttMs = 150;
    private static readonly string Danescan = Path.Combine(AppContext.BaseDirectory, "danescan");

    [Fact]
    public async Task Cli_up_with_rtt_delays_each_query_to_nsd_and_each_smtp_reply_while_answers_stay_validated()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-rtt-").FullName;
        try
        {
            var octet = LabEnvironment.FreeOctet(190, 199);
            var up = await Tool.RunAsync(
                Danescan,
                ["lab", "up", "--octet", octet.ToString(CultureInfo.InvariantCulture), "--state", state, "--rtt", RttMs.ToString(CultureInfo.InvariantCulture)],
                timeout: TimeSpan.FromMinutes(3));
            Assert.True(up.ExitCode == 0, up.StandardOutput + up.StandardError);
            var running = LabEnvironment.Status(state);
            Assert.NotNull(running.RelayPid);
            Assert.Equal(RttMs, running.Manifest!.RttMs);

            var resolver = new IPEndPoint(IPAddress.Parse($"127.{octet}.0.2"), 53);
            var relay = new IPEndPoint(IPAddress.Parse($"127.{octet}.0.1"), 53);
            var nsd = new IPEndPoint(IPAddress.Parse($"127.{octet}.0.4"), 53);

            // A cold name: unbound must ask nsd (through the relay) at least once, so the answer takes at least one RTT.
            var cold = await DigTimedAsync(resolver, "ee-12.lab", "MX");
            Assert.True(cold.Status == "NOERROR" && cold.Ad, cold.Raw);
            Assert.InRange(cold.WallMs, RttMs, 20_000);

            // The same name again comes from unbound's cache: no round trip to nsd, so no added delay.
            var cached = await DigTimedAsync(resolver, "ee-12.lab", "MX");
            Assert.True(cached.Status == "NOERROR" && cached.Ad, cached.Raw);
            Assert.InRange(cached.QueryTimeMs, 0, RttMs - 1);

            // Validation still fails where it should.
            var bogus = await DigTimedAsync(resolver, LabEnvironment.BogusName, "TXT");
            Assert.Equal("SERVFAIL", bogus.Status);

            // The relay itself, over UDP and TCP, adds the delay; nsd behind it answers the same without it.
            foreach (var tcp in new[] { false, true })
            {
                var viaRelay = await DigTimedAsync(relay, "lab", "SOA", tcp);
                Assert.True(viaRelay.Status == "NOERROR", viaRelay.Raw);
                Assert.InRange(viaRelay.WallMs, RttMs, 20_000);
                var direct = await DigTimedAsync(nsd, "lab", "SOA", tcp);
                Assert.Equal(viaRelay.Answer, direct.Answer);
                Assert.InRange(direct.QueryTimeMs, 0, RttMs - 1);
            }

            // Every SMTP reply is late by the RTT: banner, then EHLO.
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Parse($"127.{octet}.1.1"), 25);
                var stream = client.GetStream();
                var clock = Stopwatch.StartNew();
                var banner = await ReadAsync(stream);
                var bannerMs = clock.Elapsed.TotalMilliseconds;
                Assert.StartsWith("220 ", banner, StringComparison.Ordinal);
                await stream.WriteAsync("EHLO probe.example\r\n"u8.ToArray());
                clock.Restart();
                var ehlo = await ReadAsync(stream);
                var ehloMs = clock.Elapsed.TotalMilliseconds;
                Assert.StartsWith("250", ehlo, StringComparison.Ordinal);
                Assert.InRange(bannerMs, RttMs * 0.9, 20_000);
                Assert.InRange(ehloMs, RttMs * 0.9, 20_000);
            }

            var down = await Tool.RunAsync(Danescan, ["lab", "down", "--state", state], timeout: TimeSpan.FromMinutes(1));
            Assert.True(down.ExitCode == 0, down.StandardOutput + down.StandardError);
            Assert.False(LabEnvironment.Status(state).AnyRunning);
            Assert.Null(await DaneScan.Lab.Dns.LabDnsQuery.QueryAsync(relay, "lab", 6, TimeSpan.FromSeconds(1)));
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task An_in_process_lab_with_rtt_relays_through_its_own_relay_and_stops_it_on_dispose()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-rtt-inproc-").FullName;
        try
        {
            var lab = await LabEnvironment.StartAsync(new LabOptions
            {
                Octet = LabEnvironment.FreeOctet(190, 199),
                StateDirectory = state,
                DnsOnly = true,
                Rtt = TimeSpan.FromMilliseconds(RttMs),
            });
            var relay = lab.Relay!;
            Assert.NotEqual(relay, lab.Authoritative);
            Assert.Null(LabEnvironment.Status(state).RelayPid); // in this process, not a background one

            var cold = await DigTimedAsync(lab.Resolver, "ee-10.lab", "MX");
            Assert.True(cold.Status == "NOERROR" && cold.Ad, cold.Raw);
            Assert.InRange(cold.WallMs, RttMs, 20_000);

            await lab.DisposeAsync();
            Assert.Null(await DaneScan.Lab.Dns.LabDnsQuery.QueryAsync(relay, "lab", 6, TimeSpan.FromSeconds(1)));
            Assert.False(LabEnvironment.Status(state).AnyRunning);
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("5001")]
    [InlineData("fast")]
    public async Task Cli_up_refuses_an_rtt_out_of_range(string rtt)
    {
        var up = await Tool.RunAsync(Danescan, ["lab", "up", "--octet", "199", "--state", "/nonexistent/never-created", "--rtt", rtt], timeout: TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains("--rtt", up.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists("/nonexistent/never-created"));
    }

    /// <summary>Runs dig once: its status, AD flag, own query time (coarse clock), wall time of the run (precise clock), answer.</summary>
    private static async Task<(string Status, bool Ad, int QueryTimeMs, double WallMs, IReadOnlyList<string> Answer, string Raw)> DigTimedAsync(
        IPEndPoint server, string name, string type, bool tcp = false)
    {
        List<string> args = ["@" + server.Address, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "+dnssec", "+tries=1", "+time=15", "+nocookie", name, type];
        if (tcp)
        {
            args.Add("+tcp");
        }

        var clock = Stopwatch.StartNew();
        var result = await Tool.RunAsync("dig", args, timeout: TimeSpan.FromSeconds(30));
        var wallMs = clock.Elapsed.TotalMilliseconds;
        var raw = result.StandardOutput;
        var status = StatusRegex().Match(raw) is { Success: true } s ? s.Groups[1].Value : "NO-REPLY";
        var flags = FlagsRegex().Match(raw) is { Success: true } f ? f.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var time = QueryTimeRegex().Match(raw) is { Success: true } t ? int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        var answer = raw.Split('\n').SkipWhile(l => !l.StartsWith(";; ANSWER SECTION", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.Length > 0).ToList();
        return (status, flags.Contains("ad", StringComparer.Ordinal), time, wallMs, answer, raw);
    }

    private static async Task<string> ReadAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@";; flags: ([a-z ]+);")]
    private static partial Regex FlagsRegex();

    [GeneratedRegex(@";; Query time: (\d+) msec")]
    private static partial Regex QueryTimeRegex();
}
