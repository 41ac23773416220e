using System.CommandLine;
using System.Globalization;
using System.Net;
using DaneScan.Contracts;
using DaneScan.Lab;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Dns;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan lab up | down | status | cases</c>: runs the loopback lab (nsd, validating unbound, scripted SMTP
/// servers in a background process) from a state directory, tracked by PID files.
/// </summary>
public static class LabCommand
{
    public static Command Create()
    {
        var lab = new Command("lab", "The loopback lab: DNSSEC-signed zones, a validating resolver and scripted SMTP servers on 127.X.0.0/16.");
        lab.Add(Up());
        lab.Add(Down());
        lab.Add(Status());
        lab.Add(Cases());
        lab.Add(LabSmtpCommand.Create());
        lab.Add(LabRelayCommand.Create());
        return lab;
    }

    private static Option<byte> OctetOption() => new("--octet")
    {
        Description = "The X of the 127.X.0.0/16 block the lab uses.",
        DefaultValueFactory = _ => 53,
    };

    private static Option<string?> StateOption() => new("--state")
    {
        Description = "The lab's state directory (default /tmp/danescan-lab-<octet>).",
    };

    private static string StateOf(ParseResult parse, Option<string?> state, Option<byte> octet) =>
        parse.GetValue(state) is { Length: > 0 } dir ? Path.GetFullPath(dir) : new LabOptions { Octet = parse.GetValue(octet) }.ResolvedStateDirectory;

    private static Command Up()
    {
        var octet = OctetOption();
        var state = StateOption();
        var smtpPort = new Option<int>("--smtp-port") { Description = "The SMTP servers' port.", DefaultValueFactory = _ => 25 };
        var dnsOnly = new Option<bool>("--dns-only") { Description = "Start no SMTP servers." };
        var scale = new Option<int>("--scale") { Description = "Also generate N scale domains for benchmarks (0: none)." };
        var hosts = new Option<int>("--hosts") { Description = "Scale: the number of MX hosts the domains share.", DefaultValueFactory = _ => 100 };
        var noCases = new Option<bool>("--no-cases") { Description = "Leave out the case catalogue (scale domains only)." };
        var defaults = new DaneScan.Lab.Scale.ScaleOptions();
        var signedShare = new Option<double>("--signed-share") { Description = "Scale: share of domains in signed zones.", DefaultValueFactory = _ => defaults.SignedShare };
        var tlsaShare = new Option<double>("--tlsa-share") { Description = "Scale: share of hosts with TLSA.", DefaultValueFactory = _ => defaults.TlsaShare };
        var matchingShare = new Option<double>("--matching-share") { Description = "Scale: share of TLSA hosts whose record matches.", DefaultValueFactory = _ => defaults.MatchingShare };
        var noStartTlsShare = new Option<double>("--no-starttls-share") { Description = "Scale: share of hosts without STARTTLS.", DefaultValueFactory = _ => defaults.NoStartTlsShare };
        var seed = new Option<int>("--seed") { Description = "Scale: the generation seed.", DefaultValueFactory = _ => defaults.Seed };
        var hotHosts = new Option<int>("--hot-hosts")
        {
            Description = "Scale: also N MX hosts on one address (each the MX of one domain at the head of the list), for a hot-address benchmark.",
        };
        var fanoutDomains = new Option<int>("--fanout-domains")
        {
            Description = "Scale: also N domains at the head of the list whose MX names (--fanout-mx) all point at one address that accepts and never speaks.",
        };
        var fanoutMx = new Option<int>("--fanout-mx") { Description = "Scale: MX names per fan-out domain (1-100).", DefaultValueFactory = _ => defaults.FanoutMx };
        var rtt = new Option<double>("--rtt")
        {
            Description = "Simulated round-trip time in ms (0-5000): a relay holds each query from unbound to nsd this long, and every SMTP reply is sent this much later.",
        };
        var command = new Command("up", "Generate keys, certificates and signed zones; start nsd, unbound and the SMTP servers; self-check.")
        {
            octet, state, smtpPort, dnsOnly, scale, hosts, noCases, signedShare, tlsaShare, matchingShare, noStartTlsShare, seed, hotHosts, fanoutDomains, fanoutMx, rtt,
        };
        foreach (var count in new[] { hotHosts, fanoutDomains })
        {
            count.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() is < 0 or > 50_000)
                {
                    result.AddError($"{result.Option.Name} must be between 0 and 50000.");
                }
            });
        }

        fanoutMx.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 100)
            {
                result.AddError("--fanout-mx must be between 1 and 100.");
            }
        });
        rtt.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (!double.IsFinite(value) || value < 0 || value > 5000)
            {
                result.AddError($"--rtt must be between 0 and 5000 ms, not {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new LabOptions
            {
                Octet = parse.GetValue(octet),
                StateDirectory = StateOf(parse, state, octet),
                SmtpPort = parse.GetValue(smtpPort),
                DnsOnly = parse.GetValue(dnsOnly),
                IncludeCases = !parse.GetValue(noCases),
                Scale = parse.GetValue(scale) > 0
                    ? new DaneScan.Lab.Scale.ScaleOptions
                    {
                        Domains = parse.GetValue(scale),
                        Hosts = parse.GetValue(hosts),
                        SignedShare = parse.GetValue(signedShare),
                        TlsaShare = parse.GetValue(tlsaShare),
                        MatchingShare = parse.GetValue(matchingShare),
                        NoStartTlsShare = parse.GetValue(noStartTlsShare),
                        Seed = parse.GetValue(seed),
                        HotHosts = parse.GetValue(hotHosts),
                        FanoutDomains = parse.GetValue(fanoutDomains),
                        FanoutMx = parse.GetValue(fanoutMx),
                    }
                    : null,
                SmtpServerCommand = SelfCommand("lab", "smtp"),
                Rtt = TimeSpan.FromMilliseconds(parse.GetValue(rtt)),
                RelayCommand = SelfCommand("lab", "relay"),
            };
            try
            {
                var lab = await LabEnvironment.StartAsync(options, cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lab up in {lab.StartSeconds:F1} s (state {lab.StateDirectory})"));
                Console.WriteLine($"  resolver (validating unbound): {lab.Resolver}");
                Console.WriteLine($"  authoritative (nsd):           {lab.Authoritative}");
                if (lab.Relay is { } relay)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  delay relay:                   {relay} -> {lab.Authoritative}, {options.Rtt.TotalMilliseconds} ms per query; SMTP replies {options.Rtt.TotalMilliseconds} ms late"));
                }

                Console.WriteLine($"  cases: {lab.Cases.Count}, SMTP hosts: {lab.Hosts.Count(h => h.Smtp is not null) + (lab.Scale?.SmtpSpecs.Count ?? 0)} on port {options.SmtpPort}{(options.DnsOnly ? " (not started: --dns-only)" : string.Empty)}");
                if (lab.Scale is { } s)
                {
                    Console.WriteLine($"  scale: {s.Domains} domains over {s.SmtpSpecs.Count} SMTP servers; expected outcomes in {s.ExpectedFile}{(s.FanoutFile is { } fan ? $"; fan-out domains (silent address) in {fan}" : string.Empty)}");
                }

                Console.WriteLine($"  self-check: AD on {LabEnvironment.SignedName}, SERVFAIL (EDE {lab.SelfCheck?.BogusExtendedDnsError}) on {LabEnvironment.BogusName}");
                Console.WriteLine($"  try: dig @{lab.Resolver.Address} +dnssec MX ee-11.lab; stop with: danescan lab down --octet {options.Octet}");
                return ExitCodes.Success;
            }
            catch (LabException e)
            {
                await Console.Error.WriteLineAsync($"danescan lab up: {e.Message}");
                return ExitCodes.LabFailed;
            }
        });
        return command;
    }

    private static Command Down()
    {
        var octet = OctetOption();
        var state = StateOption();
        var command = new Command("down", "Stop every process the lab started from its state directory.") { octet, state };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = StateOf(parse, state, octet);
            try
            {
                await LabEnvironment.StopAsync(dir, cancellationToken);
            }
            catch (LabException e)
            {
                await Console.Error.WriteLineAsync($"danescan lab down: {e.Message}");
                return ExitCodes.LabFailed;
            }

            var status = LabEnvironment.Status(dir);
            if (status.AnyRunning)
            {
                await Console.Error.WriteLineAsync("danescan lab down: processes still running: " + Describe(status));
                return ExitCodes.LabFailed;
            }

            Console.WriteLine($"lab down (state {dir}): no lab process running");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status()
    {
        var octet = OctetOption();
        var state = StateOption();
        var command = new Command("status", "Say which lab processes run and whether unbound validates.") { octet, state };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = StateOf(parse, state, octet);
            var status = LabEnvironment.Status(dir);
            Console.WriteLine($"lab state {dir}");
            Console.WriteLine("  " + Describe(status));
            if (status.Manifest is { } m)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  started {m.StartedUtc:u} in {m.StartSeconds} s: octet {m.Octet}, resolver {m.Resolver}, nsd {m.Nsd}, {m.Cases} cases, {m.SmtpHosts} SMTP hosts on port {m.SmtpPort}, {m.ScaleDomains} scale domains{(m.RttMs > 0 ? $", RTT {m.RttMs} ms via relay {m.Relay}" : string.Empty)}"));
            }

            if (status.UnboundPid is not null && status.Manifest is { } manifest && IPEndPoint.TryParse(manifest.Resolver, out var resolver))
            {
                var good = await LabDnsQuery.QueryAsync(resolver, LabEnvironment.SignedName, LabDnsQuery.TypeTxt, TimeSpan.FromSeconds(3), cancellationToken);
                var bad = await LabDnsQuery.QueryAsync(resolver, LabEnvironment.BogusName, LabDnsQuery.TypeTxt, TimeSpan.FromSeconds(3), cancellationToken);
                var validates = good is { Rcode: 0, Authenticated: true } && bad is { Rcode: 2 };
                Console.WriteLine($"  self-check: {(validates ? "unbound validates (AD on the signed name, SERVFAIL on the bogus one)" : "FAILED")}");
                return validates && status.NsdPid is not null ? ExitCodes.Success : ExitCodes.LabFailed;
            }

            return status.AnyRunning ? ExitCodes.LabFailed : ExitCodes.LabNotRunning;
        });
        return command;
    }

    private static Command Cases()
    {
        var markdown = new Option<bool>("--markdown") { Description = "Print the case table of docs/lab.md (Markdown)." };
        var command = new Command("cases", "List the lab's cases with their expected outcomes.") { markdown };
        command.SetAction(parse =>
        {
            Console.Write(parse.GetValue(markdown) ? CaseTable.Markdown() : CaseTable.Text());
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Describe(LabStatus status) =>
        $"nsd: {Pid(status.NsdPid)}, unbound: {Pid(status.UnboundPid)}, SMTP servers process: {Pid(status.SmtpPid)}"
        + (status.RelayPid is { } relay || status.Manifest is { RttMs: > 0 } ? $", delay relay: {Pid(status.RelayPid)}" : string.Empty);

    private static string Pid(int? pid) => pid is { } p ? $"running (pid {p})" : "not running";

    /// <summary>The command that runs this danescan again (the apphost, or dotnet with this assembly).</summary>
    private static string[] SelfCommand(params string[] args)
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var prefix = Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new[] { process, typeof(LabCommand).Assembly.Location }
            : [process];
        return [.. prefix, .. args];
    }
}
