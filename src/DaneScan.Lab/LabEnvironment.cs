using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Dns;
using DaneScan.Lab.Hosting;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab;

/// <summary>The result of the lab's start-up check that unbound validates.</summary>
/// <param name="SignedNameAuthenticated">The signed name came back NOERROR with AD.</param>
/// <param name="BogusNameServfail">The deliberately broken name came back SERVFAIL.</param>
/// <param name="BogusExtendedDnsError">The EDE info code sent with the SERVFAIL, if any.</param>
public sealed record LabSelfCheck(bool SignedNameAuthenticated, bool BogusNameServfail, int? BogusExtendedDnsError)
{
    public bool Passed => SignedNameAuthenticated && BogusNameServfail;
}

/// <summary>What runs for a lab state directory.</summary>
/// <param name="StateDirectory">The state directory.</param>
/// <param name="NsdPid">nsd's PID when running.</param>
/// <param name="UnboundPid">unbound's PID when running.</param>
/// <param name="SmtpPid">The background SMTP server process's PID when running (in-process servers have none).</param>
/// <param name="Manifest">What the last start wrote (octet, addresses, counts), when present.</param>
/// <param name="RelayPid">The background delay relay's PID when running (labs with an RTT; in-process relays have none).</param>
public sealed record LabStatus(string StateDirectory, int? NsdPid, int? UnboundPid, int? SmtpPid, LabManifest? Manifest, int? RelayPid = null)
{
    public bool AnyRunning => NsdPid is not null || UnboundPid is not null || SmtpPid is not null || RelayPid is not null;
}

/// <summary>What a started lab wrote into its state directory (lab.json).</summary>
public sealed record LabManifest
{
    public required byte Octet { get; init; }

    public required string Nsd { get; init; }

    public required string Resolver { get; init; }

    public required int SmtpPort { get; init; }

    public required int Cases { get; init; }

    public required int SmtpHosts { get; init; }

    public int ScaleDomains { get; init; }

    public string? ScaleExpectedFile { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public double StartSeconds { get; init; }

    /// <summary>The simulated round-trip time in milliseconds (0: none).</summary>
    public double RttMs { get; init; }

    /// <summary>The delay relay's endpoint (where delegations point) when <see cref="RttMs"/> is positive.</summary>
    public string? Relay { get; init; }
}

/// <summary>
/// A running lab: nsd serving the signed lab zones, a validating unbound rooted at the lab's root, and the
/// scripted SMTP servers of every case host (and scale host). Start with <see cref="StartAsync"/>; dispose to stop
/// everything it started.
/// </summary>
public sealed class LabEnvironment : IAsyncDisposable
{
    /// <summary>A signed name the self-check expects AD for.</summary>
    public const string SignedName = "ok.selfcheck.lab";

    /// <summary>A name whose signature was broken on purpose: a validating resolver answers SERVFAIL.</summary>
    public const string BogusName = "bogus.selfcheck.lab";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly Dictionary<string, LabHostInstance> _hostsByName;
    private ScriptedSmtpServers? _smtp;
    private DelayRelay? _relay;
    private bool _stopped;

    private LabEnvironment(LabOptions options, LabPki pki, IReadOnlyList<LabCase> cases, IReadOnlyList<LabHostInstance> hosts)
    {
        Options = options;
        Pki = pki;
        Cases = cases;
        Hosts = hosts;
        _hostsByName = hosts.ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
    }

    public LabOptions Options { get; }

    public string StateDirectory => Options.ResolvedStateDirectory;

    /// <summary>The validating resolver (unbound) to query: 127.X.0.2 port 53.</summary>
    public IPEndPoint Resolver => new(Options.Addresses.Resolver, 53);

    /// <summary>
    /// The authoritative server (nsd) serving every lab zone: 127.X.0.1 port 53, or 127.X.0.4 behind a delay
    /// relay (<see cref="LabOptions.Rtt"/>). Queried directly, it answers without the delay.
    /// </summary>
    public IPEndPoint Authoritative => new(Options.Rtt > TimeSpan.Zero ? Options.Addresses.NsdBehindRelay : Options.Addresses.Nsd, 53);

    /// <summary>The delay relay (127.X.0.1 port 53, the name server every delegation names) when the lab has an RTT.</summary>
    public IPEndPoint? Relay => Options.Rtt > TimeSpan.Zero ? new(Options.Addresses.Nsd, 53) : null;

    public LabPki Pki { get; }

    /// <summary>The cases this lab serves (the whole catalogue unless turned off).</summary>
    public IReadOnlyList<LabCase> Cases { get; }

    /// <summary>Every case host (MX hosts and implicit hosts), in catalogue order.</summary>
    public IReadOnlyList<LabHostInstance> Hosts { get; }

    /// <summary>The scale part, when <see cref="LabOptions.Scale"/> was given.</summary>
    public Scale.ScaleLab? Scale { get; private set; }

    /// <summary>The lab root's DS record (". IN DS ..."): the trust anchor of its resolver.</summary>
    public string RootAnchor { get; private set; } = string.Empty;

    /// <summary>The root trust anchor in BIND's syntax, for <c>delv -a &lt;file&gt;</c>.</summary>
    public string DelvTrustAnchor()
    {
        var fields = RootAnchor.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Create(CultureInfo.InvariantCulture, $"trust-anchors {{\n  . static-ds {fields[3]} {fields[4]} {fields[5]} \"{fields[6]}\";\n}};\n");
    }

    /// <summary>The self-check made at start.</summary>
    public LabSelfCheck? SelfCheck { get; private set; }

    /// <summary>Seconds from the start call to a checked, running lab.</summary>
    public double StartSeconds { get; private set; }

    /// <summary>A host by its published name.</summary>
    public LabHostInstance Host(string name) =>
        _hostsByName.TryGetValue(name.TrimEnd('.'), out var host) ? host : throw new KeyNotFoundException($"no lab host '{name}'");

    /// <summary>The hosts of one case, in the case's order.</summary>
    public IReadOnlyList<LabHostInstance> HostsOf(LabCase labCase)
    {
        ArgumentNullException.ThrowIfNull(labCase);
        return [.. labCase.Hosts.Select(h => Host(h.Name))];
    }

    /// <summary>Generates keys, certificates and signed zones, starts nsd, unbound and the SMTP servers, and checks that unbound validates.</summary>
    public static async Task<LabEnvironment> StartAsync(LabOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Rtt < TimeSpan.Zero || options.Rtt > TimeSpan.FromSeconds(5))
        {
            throw new LabException($"the lab's RTT must be between 0 and 5000 ms, not {options.Rtt.TotalMilliseconds} ms");
        }

        var clock = Stopwatch.StartNew();
        var state = options.ResolvedStateDirectory;
        await StopAsync(state, cancellationToken).ConfigureAwait(false);
        foreach (var sub in new[] { "zones", "tls", "nsd", "unbound", "smtp", "scale", "relay" })
        {
            var path = Path.Combine(state, sub);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }

        Directory.CreateDirectory(state);
        var now = DateTimeOffset.UtcNow;
        var pki = LabPki.Create(now);
        var cases = options.IncludeCases ? WithTlsaMatchingNothing(LabCatalogue.All, options.TlsaMatchingNothing) : [];
        var hosts = MakeHosts(options, pki, cases, now);
        var lab = new LabEnvironment(options, pki, cases, hosts);
        try
        {
            var zones = new List<ZoneSpec>(cases.SelectMany(c => c.Zones)) { SelfCheckZone() };
            var specs = hosts.Where(h => h.Smtp is not null).Select(h => h.Smtp!).ToList();
            if (options.Scale is { } scaleOptions)
            {
                lab.Scale = await DaneScan.Lab.Scale.ScaleLab.GenerateAsync(scaleOptions, options, pki, Path.Combine(state, "scale"), cancellationToken).ConfigureAwait(false);
                zones.AddRange(lab.Scale.Zones);
                specs.AddRange(lab.Scale.SmtpSpecs);
            }

            var compiled = await ZoneCompiler.CompileAsync(Path.Combine(state, "zones"), options.Addresses, zones, lab.ResolveData, now, cancellationToken).ConfigureAwait(false);
            lab.RootAnchor = compiled.RootAnchor;
            await DnsServers.StartNsdAsync(state, options.Addresses, lab.Authoritative.Address, compiled, cancellationToken).ConfigureAwait(false);
            if (lab.Relay is { } relay)
            {
                await lab.StartRelayAsync(relay, cancellationToken).ConfigureAwait(false);
            }

            await DnsServers.StartUnboundAsync(state, options.Addresses, compiled, cancellationToken).ConfigureAwait(false);
            if (!options.DnsOnly && specs.Count > 0)
            {
                if (options.Rtt > TimeSpan.Zero)
                {
                    specs = [.. specs.Select(s => s with { ReplyDelay = options.Rtt })];
                }

                await lab.StartSmtpAsync(specs, cancellationToken).ConfigureAwait(false);
            }

            lab.SelfCheck = await lab.CheckAsync(cancellationToken).ConfigureAwait(false);
            if (!lab.SelfCheck.Passed)
            {
                throw new LabException($"unbound does not validate: {lab.SelfCheck}");
            }

            lab.StartSeconds = clock.Elapsed.TotalSeconds;
            var manifest = new LabManifest
            {
                Octet = options.Octet,
                Nsd = lab.Authoritative.ToString(),
                Resolver = lab.Resolver.ToString(),
                SmtpPort = options.SmtpPort,
                Cases = cases.Count,
                SmtpHosts = options.DnsOnly ? 0 : specs.Count,
                ScaleDomains = lab.Scale?.Domains ?? 0,
                ScaleExpectedFile = lab.Scale?.ExpectedFile,
                StartedUtc = now,
                StartSeconds = Math.Round(lab.StartSeconds, 2),
                RttMs = options.Rtt.TotalMilliseconds,
                Relay = lab.Relay?.ToString(),
            };
            await File.WriteAllTextAsync(Path.Combine(state, "lab.json"), JsonSerializer.Serialize(manifest, Json), cancellationToken).ConfigureAwait(false);
            return lab;
        }
        catch
        {
            await lab.StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Asks unbound for the signed and the broken self-check names.</summary>
    public Task<LabSelfCheck> CheckAsync(CancellationToken cancellationToken = default) => CheckResolverAsync(Resolver, cancellationToken);

    /// <summary>
    /// Checks that a resolver validates the lab's zones: AD on <see cref="SignedName"/> and SERVFAIL on
    /// <see cref="BogusName"/>. A non-validating server (nsd itself, say) fails it.
    /// </summary>
    public static async Task<LabSelfCheck> CheckResolverAsync(IPEndPoint resolver, CancellationToken cancellationToken = default)
    {
        var good = await LabDnsQuery.QueryAsync(resolver, SignedName, LabDnsQuery.TypeTxt, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var bad = await LabDnsQuery.QueryAsync(resolver, BogusName, LabDnsQuery.TypeTxt, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return new LabSelfCheck(good is { Rcode: 0, Authenticated: true }, bad is { Rcode: 2 }, bad?.ExtendedDnsError);
    }

    /// <summary>Stops everything this lab started.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_relay is not null)
        {
            await _relay.DisposeAsync().ConfigureAwait(false);
            _relay = null;
        }

        if (_smtp is not null)
        {
            await _smtp.DisposeAsync().ConfigureAwait(false);
            _smtp = null;
        }

        await StopAsync(StateDirectory, cancellationToken).ConfigureAwait(false);
        Pki.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Stops every process a lab started from this state directory (by PID files), whoever started it.</summary>
    public static async Task StopAsync(string stateDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateDirectory);
        if (!Directory.Exists(stateDirectory))
        {
            return;
        }

        await PidFile.StopAsync(SmtpPidFile(stateDirectory), SmtpSpecsFile(stateDirectory), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        await PidFile.StopAsync(RelayPidFile(stateDirectory), RelayReadyFile(stateDirectory), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        await DnsServers.StopUnboundAsync(stateDirectory, cancellationToken).ConfigureAwait(false);
        await DnsServers.StopNsdAsync(stateDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first octet in [from, to] whose lab addresses look free (nothing bound on 127.X.0.1:53, 127.X.0.2:53
    /// or 127.X.1.1:25), for tests that may share the machine with other labs. Racy by nature: a best effort.
    /// </summary>
    public static byte FreeOctet(byte from, byte to)
    {
        for (var octet = from; octet <= to && octet >= from; octet++)
        {
            var addresses = new LabAddresses(octet);
            if (CanBind(new IPEndPoint(addresses.Nsd, 53)) && CanBind(new IPEndPoint(addresses.Resolver, 53)) && CanBind(new IPEndPoint(addresses.CaseHost(0), 25)))
            {
                return octet;
            }
        }

        throw new LabException($"no free lab octet between {from} and {to}");
    }

    private static bool CanBind(IPEndPoint endpoint)
    {
        try
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(endpoint);
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>What runs for a state directory.</summary>
    public static LabStatus Status(string stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(stateDirectory);
        LabManifest? manifest = null;
        var manifestPath = Path.Combine(stateDirectory, "lab.json");
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = JsonSerializer.Deserialize<LabManifest>(File.ReadAllText(manifestPath));
            }
            catch (JsonException)
            {
                manifest = null;
            }
        }

        return new LabStatus(
            stateDirectory,
            PidFile.Running(DnsServers.NsdPid(stateDirectory), DnsServers.NsdConfig(stateDirectory)),
            PidFile.Running(DnsServers.UnboundPid(stateDirectory), DnsServers.UnboundConfig(stateDirectory)),
            PidFile.Running(SmtpPidFile(stateDirectory), SmtpSpecsFile(stateDirectory)),
            manifest,
            PidFile.Running(RelayPidFile(stateDirectory), RelayReadyFile(stateDirectory)));
    }

    public static string SmtpSpecsFile(string state) => Path.Combine(state, "smtp", "specs.json");

    public static string SmtpPidFile(string state) => Path.Combine(state, "smtp", "smtp.pid");

    public static string RelayPidFile(string state) => Path.Combine(state, "relay", "relay.pid");

    /// <summary>Written by the relay process once it listens; its path is also the PID file's marker.</summary>
    public static string RelayReadyFile(string state) => Path.Combine(state, "relay", "ready");

    private async Task StartRelayAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        if (Options.RelayCommand is not { Count: > 0 } command)
        {
            _relay = DelayRelay.Start(listen, Authoritative, Options.Rtt);
            return;
        }

        var dir = Path.Combine(StateDirectory, "relay");
        Directory.CreateDirectory(dir);
        await StartBackgroundAsync(
            "delay relay",
            command,
            [
                "--listen", listen.ToString(), "--upstream", Authoritative.ToString(),
                "--rtt", Options.Rtt.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
            ],
            dir,
            RelayPidFile(StateDirectory),
            RelayReadyFile(StateDirectory),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a lab process in the background (detached, logging to &lt;dir&gt;/&lt;name&gt;.log) as the command followed by
    /// the arguments and "--ready-file &lt;ready&gt;", and waits for the ready file.
    /// </summary>
    private static async Task StartBackgroundAsync(
        string what, IReadOnlyList<string> command, IReadOnlyList<string> arguments, string dir, string pidFile, string ready, CancellationToken cancellationToken)
    {
        var log = Path.Combine(dir, Path.GetFileNameWithoutExtension(pidFile) + ".log");

        // "exec setsid" keeps the PID (the child is not a process group leader, so setsid does not fork) and
        // detaches the process from this process's session, so it outlives `danescan lab up`.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = dir };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec setsid \"$@\" >>\"$LAB_PROCESS_LOG\" 2>&1 </dev/null");
        info.ArgumentList.Add("sh");
        foreach (var part in command.Concat(arguments))
        {
            info.ArgumentList.Add(part);
        }

        info.ArgumentList.Add("--ready-file");
        info.ArgumentList.Add(ready);
        info.Environment["LAB_PROCESS_LOG"] = log;
        // Whether the process died is asked of the child itself, not of its PID file: until the child has exec'd
        // (a few milliseconds, longer under load), /proc shows this process's command line, which a PID-file
        // check by marker reads as "not running".
        using var process = Process.Start(info) ?? throw new LabException($"cannot start the {what} process");
        PidFile.Write(pidFile, process.Id);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!File.Exists(ready))
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                var tail = File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(10)) : string.Empty;
                var why = process.HasExited ? $"the process exited with code {process.ExitCode}" : "no ready file within 120 s";
                throw new LabException($"the {what} did not start ({why}): {tail}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartSmtpAsync(List<SmtpHostSpec> specs, CancellationToken cancellationToken)
    {
        if (Options.SmtpServerCommand is not { Count: > 0 } command)
        {
            _smtp = await ScriptedSmtpServers.StartAsync(specs, cancellationToken).ConfigureAwait(false);
            return;
        }

        var dir = Path.Combine(StateDirectory, "smtp");
        Directory.CreateDirectory(dir);
        var specsFile = SmtpSpecsFile(StateDirectory);
        ScriptedSmtpServers.WriteSpecs(specsFile, specs);
        await StartBackgroundAsync("SMTP servers", command, ["--specs", specsFile], dir, SmtpPidFile(StateDirectory), Path.Combine(dir, "ready"), cancellationToken)
            .ConfigureAwait(false);

        // The ready file is written once every listener is bound; check one anyway.
        if (specs.FirstOrDefault(s => !s.Closed) is { } first && !await CanConnectAsync(first, cancellationToken).ConfigureAwait(false))
        {
            throw new LabException($"SMTP server {first.Address}:{first.Port} does not accept connections");
        }
    }

    private static async Task<bool> CanConnectAsync(SmtpHostSpec spec, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Parse(spec.Address), spec.Port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private string ResolveData(ZoneRecord record)
    {
        if (record.AddressOf is { } addressOf)
        {
            return Host(addressOf).Address?.ToString() ?? throw new LabException($"host {addressOf} has no address");
        }

        if (record is { TlsaHost: { } tlsaHost, Tlsa: { } spec })
        {
            var tlsa = Host(tlsaHost).Tlsa(spec);
            return string.Create(CultureInfo.InvariantCulture, $"{(byte)tlsa.Usage} {(byte)tlsa.Selector} {(byte)tlsa.MatchingType} {Convert.ToHexStringLower(tlsa.Data)}");
        }

        throw new LabException($"record {record.Owner} {record.Type} has no data");
    }

    /// <summary>The cases, with the TLSA records of the named ones computed from an unrelated certificate (<see cref="LabOptions.TlsaMatchingNothing"/>).</summary>
    private static IReadOnlyList<LabCase> WithTlsaMatchingNothing(IReadOnlyList<LabCase> cases, IReadOnlyList<string> ids)
    {
        var unknown = ids.Where(id => !cases.Any(c => c.Id == id)).ToList();
        if (unknown.Count > 0)
        {
            throw new LabException($"no lab case {string.Join(", ", unknown)} (TlsaMatchingNothing)");
        }

        return [.. cases.Select(c => !ids.Contains(c.Id) ? c : c with
        {
            Zones = [.. c.Zones.Select(z => z with
            {
                Records = [.. z.Records.Select(r => r.Tlsa is { } spec ? r with { Tlsa = spec with { Of = CertRole.Unrelated } } : r)],
            })],
        })];
    }

    private static ZoneSpec SelfCheckZone() => new()
    {
        Origin = "selfcheck." + CaseBuilder.Tld,
        Records =
        [
            CaseBuilder.Rr(SignedName, "TXT", "\"signed\""),
            CaseBuilder.Rr(BogusName, "TXT", "\"signed\"", tamper: true),

            // The scanner's own resolver self-check (DaneScan.Dns.ResolverSelfCheck) asks for A records.
            // 192.0.2.1 is documentation space (RFC 5737): data only, never contacted.
            CaseBuilder.Rr(SignedName, "A", "192.0.2.1"),
            CaseBuilder.Rr(BogusName, "A", "192.0.2.1", tamper: true),
        ],
    };

    private static List<LabHostInstance> MakeHosts(LabOptions options, LabPki pki, IReadOnlyList<LabCase> cases, DateTimeOffset now)
    {
        var tlsDir = Path.Combine(options.ResolvedStateDirectory, "tls");
        Directory.CreateDirectory(tlsDir);
        var unrelated = pki.SelfSigned(["unrelated.invalid"], LabKeyType.EcdsaP256);
        var hosts = new List<LabHostInstance>();
        var index = 0;
        foreach (var labCase in cases)
        {
            foreach (var host in labCase.Hosts)
            {
                var tls = host.Tls;
                var names = (tls.LeafNames ?? ["{host}"]).Select(n => Expand(n, host, labCase)).ToList();
                var commonName = tls.CommonName is null ? null : Expand(tls.CommonName, host, labCase);
                var (notBefore, notAfter) = tls.Validity switch
                {
                    CertValidity.Expired => (now.AddYears(-2), now.AddDays(-1)),
                    CertValidity.NotYetValid => (now.AddDays(30), now.AddYears(1)),
                    _ => (now.AddDays(-1), now.AddYears(1)),
                };
                IReadOnlyList<X509Certificate2> caLine = tls.Chain == ChainKind.DeepChain ? pki.CaLine(tls.DeepCas) : [];
                var issuer = tls.Chain switch
                {
                    ChainKind.ExpiredIntermediateFullChain => pki.ExpiredIntermediate,
                    ChainKind.DeepChain => caLine[^1],
                    _ => pki.Intermediate,
                };
                var leaf = tls.Chain == ChainKind.SelfSigned
                    ? pki.SelfSigned(names, tls.Key, notBefore, notAfter, commonName)
                    : pki.Issue(issuer, names, tls.Key, notBefore, notAfter, commonName);
                IReadOnlyList<X509Certificate2> chain = tls.Chain switch
                {
                    ChainKind.CaLeafIntermediate => [leaf, issuer],
                    ChainKind.CaFullChain or ChainKind.ExpiredIntermediateFullChain => [leaf, issuer, pki.Root],
                    ChainKind.DeepChain => [leaf, .. caLine.Reverse(), pki.Root],
                    _ => [leaf],
                };
                IPAddress? address = null;
                SmtpHostSpec? spec = null;
                if (host.HasAddress)
                {
                    address = options.Addresses.CaseHost(index++);
                    var chainFile = Path.Combine(tlsDir, host.Name + ".chain.pem");
                    var keyFile = Path.Combine(tlsDir, host.Name + ".key.pem");
                    ScriptedSmtpServers.WritePem(chainFile, keyFile, chain);
                    spec = new SmtpHostSpec
                    {
                        Address = address.ToString(),
                        Port = options.SmtpPort,
                        BannerName = host.Name,
                        StartTls = tls.StartTls,
                        Protocols = tls.Protocols,
                        Quirk = tls.Quirk,
                        Closed = tls.Closed,
                        ChainPemFile = chainFile,
                        KeyPemFile = keyFile,
                    };
                }

                hosts.Add(new LabHostInstance(labCase, host, address, options.SmtpPort, spec, chain, leaf, issuer, pki.Root, unrelated));
            }
        }

        return hosts;
    }

    private static string Expand(string name, LabHost host, LabCase labCase) =>
        name.Replace("{host}", host.Name, StringComparison.Ordinal).Replace("{domain}", labCase.Domain, StringComparison.Ordinal);
}
