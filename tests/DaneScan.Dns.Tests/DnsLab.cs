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

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var anchor = Path.Combine(Lab.StateDirectory, "unbound", "root.anchor");
        await StartUnboundAsync(PlainResolver, "iterator", ede: true, anchor: null);
        await StartUnboundAsync(NoEdeResolver, "validator iterator", ede: false, anchor);
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

    private async Task StartUnboundAsync(IPEndPoint listen, string modules, bool ede, string? anchor)
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
              {(anchor is null ? "" : $"trust-anchor-file: \"{anchor}\"")}
              trust-anchor-signaling: no
              root-key-sentinel: no
              do-not-query-localhost: no
              module-config: "{modules}"
              ede: {(ede ? "yes" : "no")}
              infra-host-ttl: 30
              val-bogus-ttl: 5
              edns-buffer-size: 1232
            remote-control:
              control-enable: no

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
