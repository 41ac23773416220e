using System.CommandLine;
using System.Net;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Lab;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Politeness;
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

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Resolver, Lab, Port, EhloName, AllowPrivate, OptOut, InsecureResolver })
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
                return (null, $"no running lab in {state}: start one with 'danescan lab up' (or name its state directory after --lab)", 2);
            }

            resolverText ??= status.Manifest.Resolver;
            port = parse.GetValue(Port) ?? status.Manifest.SmtpPort;
            allowPrivate = true;
            signedName = LabEnvironment.SignedName;
            brokenName = LabEnvironment.BogusName;
        }

        try
        {
            endpoint = DnsResolverOptions.ParseEndpoint(resolverText ?? "127.0.0.1:53");
        }
        catch (FormatException e)
        {
            return (null, $"--resolver: {e.Message}", 2);
        }

        if (port is < 1 or > 65535)
        {
            return (null, $"--smtp-port: {port} is not a TCP port", 2);
        }

        var ehloName = parse.GetValue(EhloName) ?? DefaultEhloName;
        try
        {
            _ = new SmtpProbeOptions(ehloName);
        }
        catch (ArgumentException e)
        {
            return (null, $"--ehlo-name: {e.Message}", 2);
        }

        var optOut = OptOutList.Empty;
        if (parse.GetValue(OptOut) is { } optOutFile)
        {
            if (!optOutFile.Exists)
            {
                return (null, $"--opt-out: {optOutFile.FullName} does not exist", 2);
            }

            var (list, errors) = await OptOutList.LoadAsync(optOutFile.FullName, cancellationToken);
            if (errors.Count > 0)
            {
                var first = errors[0];
                return (null, $"--opt-out: {optOutFile.FullName} line {first.LineNumber}: {first.Problem} ('{first.Text}'){(errors.Count > 1 ? $", and {errors.Count - 1} more" : "")}", 2);
            }

            optOut = list;
        }

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
            },
            cancellationToken);
        return built.Problem switch
        {
            null => (built.Engine, null, 0),
            ScanEngineProblem.ResolverRefused => (null, $"{built.Error}. DaneScan needs a validating resolver; use --insecure-resolver to go on anyway.", 3),
            _ => (null, built.Error, 2),
        };
    }
}
