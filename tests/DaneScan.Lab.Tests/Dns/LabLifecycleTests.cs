using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>
/// The real <c>danescan lab up | status | down</c> process, and <see cref="LabEnvironment"/> disposal: the lab
/// serves, validates, and afterwards no process of it is left. They pick a free octet from 200-225.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LabLifecycleTests
{
    private static readonly string Danescan = Path.Combine(AppContext.BaseDirectory, "danescan");

    [Fact]
    public async Task Cli_up_serves_and_validates_then_down_leaves_no_process()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-cli-").FullName;
        try
        {
            var octet = LabEnvironment.FreeOctet(200, 225);
            var up = await Tool.RunAsync(Danescan, ["lab", "up", "--octet", octet.ToString(CultureInfo.InvariantCulture), "--state", state], timeout: TimeSpan.FromMinutes(3));
            Assert.True(up.ExitCode == 0, up.StandardOutput + up.StandardError);
            Assert.Contains("lab up in", up.StandardOutput, StringComparison.Ordinal);

            var running = LabEnvironment.Status(state);
            Assert.NotNull(running.NsdPid);
            Assert.NotNull(running.UnboundPid);
            Assert.NotNull(running.SmtpPid);
            int[] pids = [running.NsdPid!.Value, running.UnboundPid!.Value, running.SmtpPid!.Value];

            var status = await Tool.RunAsync(Danescan, ["lab", "status", "--state", state]);
            Assert.True(status.ExitCode == 0, status.StandardOutput + status.StandardError);
            Assert.Contains("unbound validates", status.StandardOutput, StringComparison.Ordinal);

            var resolver = new IPEndPoint(IPAddress.Parse($"127.{octet}.0.2"), 53);
            var mx = await Dig.QueryAsync(resolver, "ee-11.lab", "MX");
            Assert.True(mx.Ad && mx.Status == "NOERROR", mx.Raw);
            Assert.StartsWith("220 ", await BannerAsync(IPAddress.Parse($"127.{octet}.1.1"), 25), StringComparison.Ordinal);

            var down = await Tool.RunAsync(Danescan, ["lab", "down", "--state", state], timeout: TimeSpan.FromMinutes(1));
            Assert.True(down.ExitCode == 0, down.StandardOutput + down.StandardError);
            foreach (var pid in pids)
            {
                Assert.False(Directory.Exists($"/proc/{pid}") && !IsZombie(pid), $"process {pid} still runs after lab down");
            }

            Assert.Empty(ProcessesMentioning(state));
            var after = await Tool.RunAsync(Danescan, ["lab", "status", "--state", state]);
            Assert.Equal(11, after.ExitCode); // LabNotRunning (docs/exit-codes.md)
            Assert.Contains("nsd: not running, unbound: not running, SMTP servers process: not running", after.StandardOutput, StringComparison.Ordinal);
            Assert.Null(await DaneScan.Lab.Dns.LabDnsQuery.QueryAsync(resolver, "lab", 6, TimeSpan.FromSeconds(1)));
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task Disposing_a_started_lab_leaves_no_process_and_frees_its_addresses()
    {
        var state = Directory.CreateTempSubdirectory("danescan-lab-dispose-").FullName;
        try
        {
            var lab = await LabEnvironment.StartAsync(new LabOptions { Octet = LabEnvironment.FreeOctet(200, 225), StateDirectory = state });
            Assert.True(lab.SelfCheck!.Passed);
            var host = lab.Hosts.First(h => h.Smtp is { Closed: false, Quirk: Smtp.SmtpQuirk.None });
            Assert.StartsWith("220 ", await BannerAsync(host.Address!, host.Port), StringComparison.Ordinal);
            Assert.NotEmpty(ProcessesMentioning(state));

            await lab.DisposeAsync();

            Assert.Empty(ProcessesMentioning(state));
            Assert.False(LabEnvironment.Status(state).AnyRunning);
            Assert.Null(await DaneScan.Lab.Dns.LabDnsQuery.QueryAsync(lab.Resolver, "lab", 6, TimeSpan.FromSeconds(1)));
            await Assert.ThrowsAnyAsync<SocketException>(() => BannerAsync(host.Address!, host.Port));
        }
        finally
        {
            await LabEnvironment.StopAsync(state);
            Directory.Delete(state, recursive: true);
        }
    }

    private static async Task<string> BannerAsync(IPAddress address, int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(address, port, timeout.Token);
        var buffer = new byte[512];
        var read = await client.GetStream().ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>Live processes whose command line mentions the path (nsd and unbound have their config there).</summary>
    private static List<string> ProcessesMentioning(string path)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(path, StringComparison.Ordinal) && !IsZombie(pid))
                {
                    found.Add($"{pid}: {cmdline}");
                }
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return found;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
