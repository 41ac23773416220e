using System.Diagnostics;
using System.Globalization;
using System.Net;
using DaneScan.Core;
using DaneScan.Lab.Testing;

namespace DaneScan.Dns.Tests;

/// <summary>
/// The real lab (nsd with the signed lab zones, the lab's validating unbound) on 127.54.0.0/16, DNS only,
/// plus two more unbound instances this fixture starts itself against the lab's nsd: a plain one with
/// validation off (for the self-check) and a validating one that sends no Extended DNS Errors (for the
/// CD-bit fallback). All are stopped at the end, by their own process handles.
/// </summary>
public sealed class DnsLabFixture : LabFixture, IAsyncLifetime
{
    public const byte LabOctet = 54;

    private readonly List<Process> _extra = [];

    public DnsLabFixture()
        : base(LabOctet, dnsOnly: true)
    {
    }

    /// <summary>An unbound that does not validate at all (module-config "iterator").</summary>
    public IPEndPoint PlainResolver { get; } = new(IPAddress.Parse($"127.{LabOctet}.0.200"), 53);

    /// <summary>A validating unbound with <c>ede: no</c>.</summary>
    public IPEndPoint NoEdeResolver { get; } = new(IPAddress.Parse($"127.{LabOctet}.0.201"), 53);

    public DnsResolverOptions ResolverOptions(IPEndPoint? endpoint = null) => new()
    {
        Endpoint = endpoint ?? Lab.Resolver,
        AttemptTimeout = TimeSpan.FromSeconds(3),
        Retries = 1,
        QueryDeadline = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// A validating unbound that also trusts a small signed tree of this fixture's own, <c>extra.test</c>,
    /// served by this fixture's own nsd (unbound's built-in RFC 6761 local zone for test. is turned off): it holds the CNAME situations the lab catalogue lacks (a CNAME'd MX
    /// host whose TLSA lookup at the target is bogus, or fails).
    /// </summary>
    public IPEndPoint ExtraResolver { get; } = new(IPAddress.Parse($"127.{LabOctet}.0.202"), 53);

    private IPAddress ExtraNsd { get; } = IPAddress.Parse($"127.{LabOctet}.0.203");

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var anchor = Path.Combine(Lab.StateDirectory, "unbound", "root.anchor");
        await StartUnboundAsync(PlainResolver, "iterator", ede: true, [], "");
        await StartUnboundAsync(NoEdeResolver, "validator iterator", ede: false, [anchor], "");
        var extraAnchor = await StartExtraZoneAsync();
        await StartUnboundAsync(ExtraResolver, "validator iterator", ede: true, [anchor, extraAnchor],
            $"stub-zone:\n  name: \"extra.test.\"\n  stub-addr: {ExtraNsd}\n");
    }

    /// <summary>Signs extra.test with fresh keys, tampers one TLSA RRset after signing, starts nsd; returns the trust anchor file.</summary>
    private async Task<string> StartExtraZoneAsync()
    {
        var dir = Path.Combine(Lab.StateDirectory, "extra-zone");
        Directory.CreateDirectory(dir);
        const string zone = "extra.test";
        var digest = new string('a', 64);
        var dead = Lab.Options.Addresses.Dead;
        await File.WriteAllTextAsync(Path.Combine(dir, zone + ".zone"), $$"""
            $TTL 300
            extra.test. IN SOA ns.extra.test. hostmaster.extra.test. 1 3600 600 86400 60
            extra.test. IN NS ns.extra.test.
            ns.extra.test. IN A {{ExtraNsd}}
            cname-bogus.extra.test. IN MX 10 mx.cname-bogus.extra.test.
            mx.cname-bogus.extra.test. IN CNAME smtp.bogus-tlsa.extra.test.
            _25._tcp.mx.cname-bogus.extra.test. IN TLSA 3 1 1 {{digest}}
            smtp.bogus-tlsa.extra.test. IN A 127.{{LabOctet}}.0.99
            _25._tcp.smtp.bogus-tlsa.extra.test. IN TLSA 3 1 1 {{digest}}
            cname-failing.extra.test. IN MX 10 mx.cname-failing.extra.test.
            mx.cname-failing.extra.test. IN CNAME smtp.failing-tlsa.extra.test.
            _25._tcp.mx.cname-failing.extra.test. IN TLSA 3 1 1 {{digest}}
            smtp.failing-tlsa.extra.test. IN A 127.{{LabOctet}}.0.98
            _tcp.smtp.failing-tlsa.extra.test. IN NS ns.dead.extra.test.
            ns.dead.extra.test. IN A {{dead}}

            """);
        var ksk = (await RunAsync(dir, "ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone)).Trim();
        var zsk = (await RunAsync(dir, "ldns-keygen", "-a", "ECDSAP256SHA256", zone)).Trim();
        await RunAsync(dir, "ldns-signzone", "-n", zone + ".zone", ksk, zsk);
        var signedPath = Path.Combine(dir, zone + ".zone.signed");
        var signedLines = await File.ReadAllLinesAsync(signedPath);
        var tampered = signedLines.Select(line =>
            line.StartsWith("_25._tcp.smtp.bogus-tlsa.extra.test.", StringComparison.Ordinal) && line.Contains("\tTLSA\t", StringComparison.Ordinal)
                ? line.Replace(digest, new string('b', 64), StringComparison.Ordinal)
                : line).ToList();
        if (tampered.SequenceEqual(signedLines))
        {
            throw new InvalidOperationException("the TLSA record to tamper with was not found in the signed zone");
        }

        await File.WriteAllLinesAsync(signedPath, tampered);
        var conf = Path.Combine(dir, "nsd.conf");
        await File.WriteAllTextAsync(conf, $"""
            server:
              ip-address: {ExtraNsd}
              port: 53
              zonesdir: "{dir}"
              database: ""
              pidfile: "{dir}/nsd.pid"
              username: ""
              xfrdfile: "{dir}/xfrd.state"
              zonelistfile: "{dir}/zone.list"
              logfile: "{dir}/nsd.log"
            remote-control:
              control-enable: no
            zone:
              name: {zone}
              zonefile: {signedPath}

            """);
        var nsd = Process.Start(new ProcessStartInfo("nsd", ["-d", "-c", conf])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("nsd did not start");
        _extra.Add(nsd);
        var probe = new ValidatingResolver(ResolverOptions(new IPEndPoint(ExtraNsd, 53)) with { AttemptTimeout = TimeSpan.FromMilliseconds(300), Retries = 0 });
        for (var i = 0; i < 100 && !nsd.HasExited; i++)
        {
            var soa = await probe.LookupAsync(zone, DnsClient.QueryType.SOA, "SOA", r => r.ToString());
            if (soa.Outcome != DnsOutcome.LookupFailure)
            {
                return Path.Combine(dir, ksk + ".key");
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"nsd for {zone} never answered: {(nsd.HasExited ? await nsd.StandardError.ReadToEndAsync() : "still running")}");
    }

    private static async Task<string> RunAsync(string directory, string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{tool} failed: {error}");
    }

    public new async Task DisposeAsync()
    {
        foreach (var process in _extra)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        await base.DisposeAsync();
    }

    private async Task StartUnboundAsync(IPEndPoint listen, string modules, bool ede, IReadOnlyList<string> anchors, string stubs)
    {
        var dir = Path.Combine(Lab.StateDirectory, "extra-" + listen.Address.ToString().Replace('.', '-'));
        Directory.CreateDirectory(dir);
        var hints = Path.Combine(dir, "root.hints");
        await File.WriteAllTextAsync(hints, $". 3600000 IN NS ns.lab.\nns.lab. 3600000 IN A {Lab.Authoritative.Address}\n");
        var conf = Path.Combine(dir, "unbound.conf");
        await File.WriteAllTextAsync(conf, string.Create(CultureInfo.InvariantCulture, $"""
            server:
              interface: {listen.Address}
              port: {listen.Port}
              outgoing-interface: {listen.Address}
              do-ip6: no
              access-control: 127.0.0.0/8 allow
              username: ""
              chroot: ""
              directory: "{dir}"
              pidfile: "{dir}/unbound.pid"
              logfile: "{dir}/unbound.log"
              use-syslog: no
              do-daemonize: no
              num-threads: 1
              so-reuseport: no
              root-hints: "{hints}"
              {string.Join("\n  ", anchors.Select(a => $"trust-anchor-file: \"{a}\""))}
              trust-anchor-signaling: no
              root-key-sentinel: no
              do-not-query-localhost: no
              module-config: "{modules}"
              ede: {(ede ? "yes" : "no")}
              infra-host-ttl: 30
              val-bogus-ttl: 5
              edns-buffer-size: 1232
              {(stubs.Length == 0 ? "" : "local-zone: \"test.\" nodefault")}
            remote-control:
              control-enable: no
            {stubs}
            """));
        var process = Process.Start(new ProcessStartInfo("unbound", ["-d", "-c", conf])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("unbound did not start");
        _extra.Add(process);

        var probe = new ValidatingResolver(ResolverOptions(listen) with { AttemptTimeout = TimeSpan.FromMilliseconds(300), Retries = 0 });
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"unbound on {listen} exited: {await process.StandardError.ReadToEndAsync()}");
            }

            var soa = await probe.LookupAsync(".", DnsClient.QueryType.SOA, "SOA", r => r.ToString());
            if (soa.Outcome != DnsOutcome.LookupFailure)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"unbound on {listen} never answered");
    }
}

[CollectionDefinition(Name)]
public sealed class DnsLabCollection : ICollectionFixture<DnsLabFixture>
{
    public const string Name = "dns-lab";
}
