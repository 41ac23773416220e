using System.CommandLine;
using System.Net;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Lab;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.Smtp;

namespace DaneScan.Cli;

/// <summary>
/// The options every scanning verb shares (resolver, lab mode, identity, politeness), and the start-up
/// checks they need: a resolver that validates DNSSEC, an opt-out list that parses.
/// </summary>
public sealed class ScannerSettings
{
    /// <summary>The EHLO name used unless one is given: it says what is knocking.</summary>
    public const string DefaultEhloName = "danescan.invalid";

    public Option<string?> Resolver { get; } = new("--resolver")
    {
        Description = "The validating resolver to query, ip[:port] (default 127.0.0.1:53; with --lab, the lab's unbound).",
    };

    public Option<string?> Lab { get; } = new("--lab")
    {
        Description = "Use the running lab (danescan lab up): its resolver, SMTP port and self-check names; allows loopback addresses. Optional value: the lab's state directory.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<int?> Port { get; } = new("--smtp-port")
    {
        Description = "The SMTP port to probe (default 25).",
    };

    public Option<string> EhloName { get; } = new("--ehlo-name")
    {
        Description = "The name the scanner gives in EHLO; set it to a name that leads to your opt-out page.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DANESCAN_EHLO_NAME") ?? DefaultEhloName,
    };

    public Option<bool> AllowPrivate { get; } = new("--allow-private")
    {
        Description = "Probe private, reserved and loopback addresses (lab mode). Refused by default.",
    };

    public Option<FileInfo?> OptOut { get; } = new("--opt-out")
    {
        Description = "Opt-out list: domains, addresses and CIDR ranges, one a line.",
    };

    public Option<bool> InsecureResolver { get; } = new("--insecure-resolver")
    {
        Description = "Go on when the resolver fails the DNSSEC self-check; every result is then marked UnverifiedResolver.",
    };

    public Option<string?> SelfCheckSigned { get; } = new("--self-check-signed")
    {
        Description = $"A DNSSEC-signed name the resolver must answer with AD in its self-check (default {ResolverSelfCheck.InternetSignedName}; with --lab, the lab's). For a resolver with its own trust anchor, name one it can validate.",
    };

    public Option<string?> SelfCheckBroken { get; } = new("--self-check-broken")
    {
        Description = $"A deliberately broken (bogus) name the resolver must answer with SERVFAIL in its self-check (default {ResolverSelfCheck.InternetBrokenName}; with --lab, the lab's).",
    };

    public Option<Uri?> OtlpEndpoint { get; } = new("--otlp-endpoint")
    {
        Description = "Also export OpenTelemetry metrics and traces (domains per stage, queue depths, lookups and probes in flight, outcomes, retries, errors) over OTLP to this URL, e.g. http://localhost:4317 (gRPC) or http://localhost:4318 (HTTP).",
        CustomParser = r => Uri.TryCreate(r.Tokens.Count == 1 ? r.Tokens[0].Value : null, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : null,
    };

    public Option<double> ProbeInterval { get; } = new("--probe-interval")
    {
        Description = "Seconds between the end of one connection to an address and the start of the next one to it.",
        DefaultValueFactory = _ => ConnectionLimits.DefaultInterval.TotalSeconds,
    };

    public Option<int> ConnectionsPerAddress { get; } = new("--connections-per-address")
    {
        Description = "SMTP connections open at once to one address.",
        DefaultValueFactory = _ => 1,
    };

    public Option<int> AddressFailureBudget { get; } = new("--address-failure-budget")
    {
        Description = "Connections in a row to one address that may fail before the server speaks (refused, no banner) before its remaining hosts are not probed (0: no budget).",
        DefaultValueFactory = _ => AddressBudget.DefaultMaxConsecutiveFailures,
    };

    public Option<double> DnsRetryDelay { get; } = new("--dns-retry-delay")
    {
        Description = "Seconds before a lookup that failed transiently (SERVFAIL without a DNSSEC reason, timeout, network error) is asked once more (0: no retry).",
        DefaultValueFactory = _ => DnsResolverOptions.DefaultTransientRetryDelay.TotalSeconds,
    };

    public Option<double> ConnectRetryDelay { get; } = new("--connect-retry-delay")
    {
        Description = "Seconds before a refused or timed-out SMTP connection is tried once more (0: no retry).",
        DefaultValueFactory = _ => SmtpProbeOptions.DefaultConnectRetryDelay.TotalSeconds,
    };

    public Option<int> MaxMx { get; } = new("--max-mx")
    {
        Description = "MX hosts resolved and judged per domain, most preferred first; a domain with more gets the finding MxHostsTruncated.",
        DefaultValueFactory = _ => DomainResolver.DefaultMaxMxHosts,
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Resolver, Lab, Port, EhloName, AllowPrivate, OptOut, InsecureResolver, SelfCheckSigned, SelfCheckBroken, OtlpEndpoint, ProbeInterval, ConnectionsPerAddress, AddressFailureBudget, DnsRetryDelay, ConnectRetryDelay, MaxMx })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// Builds the engine from parsed options through the composition root (<see cref="ScanEngineBuilder"/>), or
    /// returns an error for the user. The root runs the resolver self-check.
    /// </summary>
    public Task<(ScanEngine? Context, string? Error, int ExitCode)> BuildAsync(ParseResult parse, CancellationToken cancellationToken) =>
        BuildAsync(parse, null, cancellationToken);

    /// <summary>As <see cref="BuildAsync(ParseResult, CancellationToken)"/>, with the connection limits to use (a scan's global SMTP cap).</summary>
    public async Task<(ScanEngine? Context, string? Error, int ExitCode)> BuildAsync(ParseResult parse, ConnectionLimits? limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        IPEndPoint endpoint;
        var port = parse.GetValue(Port) ?? 25;
        var allowPrivate = parse.GetValue(AllowPrivate);
        var signedName = ResolverSelfCheck.InternetSignedName;
        var brokenName = ResolverSelfCheck.InternetBrokenName;
        var labMode = parse.GetResult(Lab) is not null;
        var resolverText = parse.GetValue(Resolver);
        if (labMode)
        {
            var state = parse.GetValue(Lab) ?? new LabOptions().ResolvedStateDirectory;
            var status = LabEnvironment.Status(state);
            if (status.Manifest is null || status.UnboundPid is null)
            {
                return (null, $"no running lab in {state}: start one with 'danescan lab up' (or name its state directory after --lab)", ExitCodes.Usage);
            }

            resolverText ??= status.Manifest.Resolver;
            port = parse.GetValue(Port) ?? status.Manifest.SmtpPort;
            allowPrivate = true;
            signedName = LabEnvironment.SignedName;
            brokenName = LabEnvironment.BogusName;
        }

        foreach (var (option, set) in new (Option<string?> Option, Action<string> Set)[] { (SelfCheckSigned, n => signedName = n), (SelfCheckBroken, n => brokenName = n) })
        {
            if (parse.GetValue(option) is { } given)
            {
                var normalised = DomainNameNormalizer.Normalize(given);
                if (normalised.Name is null)
                {
                    return (null, $"{option.Name}: '{given}' is not a domain name ({normalised.Reason})", ExitCodes.Usage);
                }

                set(normalised.Name);
            }
        }

        if (string.Equals(signedName, brokenName, StringComparison.Ordinal))
        {
            return (null, $"--self-check-signed and --self-check-broken are both '{signedName}': the self-check needs one name that validates and another that fails", ExitCodes.Usage);
        }

        try
        {
            endpoint = DnsResolverOptions.ParseEndpoint(resolverText ?? "127.0.0.1:53");
        }
        catch (FormatException e)
        {
            return (null, $"--resolver: {e.Message}", ExitCodes.Usage);
        }

        if (port is < 1 or > 65535)
        {
            return (null, $"--smtp-port: {port} is not a TCP port", ExitCodes.Usage);
        }

        var ehloName = parse.GetValue(EhloName) ?? DefaultEhloName;
        try
        {
            _ = new SmtpProbeOptions(ehloName);
        }
        catch (ArgumentException e)
        {
            return (null, $"--ehlo-name: {e.Message}", ExitCodes.Usage);
        }

        var optOut = OptOutList.Empty;
        if (parse.GetValue(OptOut) is { } optOutFile)
        {
            if (!optOutFile.Exists)
            {
                return (null, $"--opt-out: {optOutFile.FullName} does not exist", ExitCodes.Usage);
            }

            var (list, errors) = await OptOutList.LoadAsync(optOutFile.FullName, cancellationToken);
            if (errors.Count > 0)
            {
                var first = errors[0];
                return (null, $"--opt-out: {optOutFile.FullName} line {first.LineNumber}: {first.Problem} ('{first.Text}'){(errors.Count > 1 ? $", and {errors.Count - 1} more" : "")}", ExitCodes.Usage);
            }

            optOut = list;
        }

        if (parse.GetResult(OtlpEndpoint) is { } otlpGiven && parse.GetValue(OtlpEndpoint) is null)
        {
            return (null, $"--otlp-endpoint: '{string.Join(' ', otlpGiven.Tokens.Select(t => t.Value))}' is not an absolute http or https URL", ExitCodes.Usage);
        }

        var interval = parse.GetValue(ProbeInterval);
        if (!double.IsFinite(interval) || interval < 0 || interval > 86_400)
        {
            return (null, $"--probe-interval: {interval} is not a number of seconds between 0 and 86400", 2);
        }

        var perAddress = parse.GetValue(ConnectionsPerAddress);
        if (perAddress < 1)
        {
            return (null, $"--connections-per-address: {perAddress} is not at least 1", 2);
        }

        var failureBudget = parse.GetValue(AddressFailureBudget);
        if (failureBudget < 0)
        {
            return (null, $"--address-failure-budget: {failureBudget} is negative", 2);
        }

        var dnsRetry = parse.GetValue(DnsRetryDelay);
        if (!double.IsFinite(dnsRetry) || dnsRetry < 0 || dnsRetry > 600)
        {
            return (null, $"--dns-retry-delay: {dnsRetry} is not a number of seconds between 0 and 600", 2);
        }

        var connectRetry = parse.GetValue(ConnectRetryDelay);
        if (!double.IsFinite(connectRetry) || connectRetry < 0 || connectRetry > 600)
        {
            return (null, $"--connect-retry-delay: {connectRetry} is not a number of seconds between 0 and 600", 2);
        }

        var maxMx = parse.GetValue(MaxMx);
        if (maxMx < 1)
        {
            return (null, $"--max-mx: {maxMx} is not at least 1", 2);
        }

        limits = (limits ?? new ConnectionLimits()) with
        {
            MinIntervalPerAddress = TimeSpan.FromSeconds(interval),
            ConnectionsPerAddress = perAddress,
        };
        var built = await ScanEngineBuilder.BuildAsync(
            new ScanEngineOptions
            {
                ResolverEndpoint = endpoint,
                SmtpPort = port,
                EhloName = ehloName,
                AllowPrivate = allowPrivate,
                OptOut = optOut,
                InsecureResolver = parse.GetValue(InsecureResolver),
                SelfCheckSignedName = signedName,
                SelfCheckBrokenName = brokenName,
                Limits = limits,
                MaxMxHosts = maxMx,
                AddressFailureBudget = failureBudget,
                DnsRetryDelay = TimeSpan.FromSeconds(dnsRetry),
                ConnectRetryDelay = TimeSpan.FromSeconds(connectRetry),
            },
            cancellationToken);
        if (built.Engine is { } engine)
        {
            engine.Telemetry = parse.GetValue(OtlpEndpoint) is { } otlp ? TelemetryRegistration.StartOtlpExport(otlp) : null;
            return (engine, null, ExitCodes.Success);
        }

        return built.Problem == ScanEngineProblem.ResolverRefused
            ? (null, $"{built.Error}; signed name {signedName}, broken name {brokenName}. DaneScan needs a validating resolver. A resolver with its own trust anchor: name a signed and a broken name it can validate with --self-check-signed and --self-check-broken; use --insecure-resolver only when validation is really off.", ExitCodes.ResolverRefused)
            : (null, built.Error, ExitCodes.Usage);
    }
}
