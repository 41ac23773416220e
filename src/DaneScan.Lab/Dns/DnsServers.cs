using System.Globalization;
using System.Net;
using System.Text;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Dns;

/// <summary>
/// The lab's nsd (authoritative for every lab zone) and unbound (validating, rooted at the lab's root),
/// each with its own configuration, PID, log and state files in the lab's state directory: no chroot,
/// no system configuration, no remote control.
/// </summary>
public static class DnsServers
{
    public static string NsdConfig(string state) => Path.Combine(state, "nsd", "nsd.conf");

    public static string NsdPid(string state) => Path.Combine(state, "nsd", "nsd.pid");

    public static string UnboundConfig(string state) => Path.Combine(state, "unbound", "unbound.conf");

    public static string UnboundPid(string state) => Path.Combine(state, "unbound", "unbound.pid");

    /// <summary>
    /// Writes nsd's configuration for <paramref name="listen"/> (<see cref="LabAddresses.Nsd"/>, or
    /// <see cref="LabAddresses.NsdBehindRelay"/> behind a delay relay) and starts it (daemonised, tracked by its
    /// PID file), then waits until it answers there.
    /// </summary>
    public static async Task StartNsdAsync(string state, LabAddresses addresses, IPAddress listen, CompiledZones zones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(zones);
        var dir = Path.Combine(state, "nsd");
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(Path.Combine(dir, "xfr"));
        var conf = new StringBuilder(Template("nsd.conf.template")
            .Replace("@NSD_ADDRESS@", listen.ToString(), StringComparison.Ordinal)
            .Replace("@DIR@", dir, StringComparison.Ordinal)
            .Replace("@PIDFILE@", NsdPid(state), StringComparison.Ordinal));
        foreach (var (origin, file) in zones.Served)
        {
            conf.Append(CultureInfo.InvariantCulture, $"""
                zone:
                  name: "{ZoneCompiler.Fqdn(origin)}"
                  zonefile: "{file}"

                """);
        }

        var confPath = NsdConfig(state);
        await File.WriteAllTextAsync(confPath, conf.ToString(), cancellationToken).ConfigureAwait(false);
        await Tool.RunCheckedAsync("nsd-checkconf", [confPath], cancellationToken: cancellationToken).ConfigureAwait(false);
        var started = await Tool.RunAsync("nsd", ["-c", confPath], dir, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (started.ExitCode != 0)
        {
            var log = Path.Combine(dir, "nsd.log");
            var tail = File.Exists(log) ? string.Join(' ', (await File.ReadAllLinesAsync(log, cancellationToken).ConfigureAwait(false)).TakeLast(3)) : string.Empty;
            throw new LabException($"nsd did not start on {listen}:53 (is another lab using octet {addresses.Octet}?): {started.StandardError.Trim()} {tail}");
        }
        await WaitForAsync(new IPEndPoint(listen, 53), ".", LabDnsQuery.TypeSoa, "nsd", Path.Combine(dir, "nsd.log"), NsdPid(state), confPath, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes unbound's configuration, root hints and trust anchor, starts it and waits until it answers.</summary>
    public static async Task StartUnboundAsync(string state, LabAddresses addresses, CompiledZones zones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zones);
        var dir = Path.Combine(state, "unbound");
        Directory.CreateDirectory(dir);
        var hints = Path.Combine(dir, "root.hints");
        var anchor = Path.Combine(dir, "root.anchor");
        await File.WriteAllTextAsync(hints, $". 3600000 IN NS {ZoneCompiler.NameServer}.\n{ZoneCompiler.NameServer}. 3600000 IN A {addresses.Nsd}\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(anchor, zones.RootAnchor + "\n", cancellationToken).ConfigureAwait(false);
        var confPath = UnboundConfig(state);
        var conf = Template("unbound.conf.template")
            .Replace("@RESOLVER_ADDRESS@", addresses.Resolver.ToString(), StringComparison.Ordinal)
            .Replace("@DIR@", dir, StringComparison.Ordinal)
            .Replace("@PIDFILE@", UnboundPid(state), StringComparison.Ordinal);
        await File.WriteAllTextAsync(confPath, conf, cancellationToken).ConfigureAwait(false);
        await Tool.RunCheckedAsync("unbound-checkconf", [confPath], cancellationToken: cancellationToken).ConfigureAwait(false);
        await Tool.RunCheckedAsync("unbound", ["-c", confPath], dir, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        await WaitForAsync(new IPEndPoint(addresses.Resolver, 53), ".", LabDnsQuery.TypeSoa, "unbound", Path.Combine(dir, "unbound.log"), UnboundPid(state), confPath, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
    }

    public static Task StopNsdAsync(string state, CancellationToken cancellationToken) =>
        PidFile.StopAsync(NsdPid(state), NsdConfig(state), TimeSpan.FromSeconds(10), cancellationToken);

    public static Task StopUnboundAsync(string state, CancellationToken cancellationToken) =>
        PidFile.StopAsync(UnboundPid(state), UnboundConfig(state), TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>A configuration template from infra/lab, embedded in this assembly.</summary>
    private static string Template(string name)
    {
        using var stream = typeof(DnsServers).Assembly.GetManifestResourceStream("DaneScan.Lab.infra." + name)
            ?? throw new LabException($"template {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task WaitForAsync(
        IPEndPoint server, string name, ushort type, string what, string log, string pidFile, string marker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var reply = await LabDnsQuery.QueryAsync(server, name, type, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            if (reply is not null && reply.Rcode == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline - timeout + TimeSpan.FromSeconds(2) && PidFile.Running(pidFile, marker) is null)
            {
                break;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        var tail = File.Exists(log) ? string.Join('\n', (await File.ReadAllLinesAsync(log, cancellationToken).ConfigureAwait(false)).TakeLast(10)) : "(no log)";
        throw new LabException($"{what} on {server} did not answer: {tail}");
    }
}
