using System.Net;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;

namespace DaneScan.Pipeline.Composition;

/// <summary>
/// What every host (the CLI's <c>check</c> and <c>scan</c>, <c>danescan worker</c>, the Functions app) gives the
/// one composition root: the validating resolver, the SMTP port and identity, politeness and the self-check names.
/// </summary>
public sealed record ScanEngineOptions
{
    /// <summary>The validating resolver to query.</summary>
    public required IPEndPoint ResolverEndpoint { get; init; }

    /// <summary>The SMTP port probed (25 on the internet; the lab may use another).</summary>
    public int SmtpPort { get; init; } = 25;

    /// <summary>The name the scanner gives in EHLO: it says what is knocking.</summary>
    public required string EhloName { get; init; }

    /// <summary>Probe private, reserved and loopback addresses (the lab only).</summary>
    public bool AllowPrivate { get; init; }

    /// <summary>Domains, MX hosts and addresses never probed.</summary>
    public OptOutList OptOut { get; init; } = OptOutList.Empty;

    /// <summary>Go on when the resolver fails the DNSSEC self-check, marking every result <see cref="DnsTrustMode.UnverifiedResolver"/>.</summary>
    public bool InsecureResolver { get; init; }

    /// <summary>A name the resolver must answer with AD set (a private trust anchor needs its own).</summary>
    public string SelfCheckSignedName { get; init; } = ResolverSelfCheck.InternetSignedName;

    /// <summary>A deliberately broken name the resolver must answer with SERVFAIL.</summary>
    public string SelfCheckBrokenName { get; init; } = ResolverSelfCheck.InternetBrokenName;

    /// <summary>Connection caps, connections per address and the pause between connections to one address; null for the defaults.</summary>
    public ConnectionLimits? Limits { get; init; }

    /// <summary>MX hosts resolved and judged per domain at most (<see cref="DomainResolver.MaxMxHosts"/>); the cut is a finding.</summary>
    public int MaxMxHosts { get; init; } = DomainResolver.DefaultMaxMxHosts;

    /// <summary>
    /// Connections in a row to one address that may fail before the server speaks before its remaining hosts are
    /// not probed (<see cref="AddressBudget"/>); 0 turns the budget off.
    /// </summary>
    public int AddressFailureBudget { get; init; } = AddressBudget.DefaultMaxConsecutiveFailures;

    /// <summary>The pause before a transiently failed lookup is asked once more (<see cref="DnsResolverOptions.TransientRetryDelay"/>); zero: no retry.</summary>
    public TimeSpan DnsRetryDelay { get; init; } = DnsResolverOptions.DefaultTransientRetryDelay;

    /// <summary>The pause before a refused or timed-out connection is tried once more (<see cref="SmtpProbeOptions.ConnectRetryDelay"/>); zero: no retry.</summary>
    public TimeSpan ConnectRetryDelay { get; init; } = SmtpProbeOptions.DefaultConnectRetryDelay;

    /// <summary>What is wrong with these options, one message per problem, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SmtpPort is < 1 or > 65535)
        {
            errors.Add($"smtp port: {SmtpPort} is not a TCP port");
        }

        try
        {
            _ = new SmtpProbeOptions(EhloName);
        }
        catch (ArgumentException e)
        {
            errors.Add($"ehlo name: {e.Message}");
        }

        if (MaxMxHosts < 1)
        {
            errors.Add($"max mx: {MaxMxHosts} is not at least 1");
        }

        if (DnsRetryDelay < TimeSpan.Zero || DnsRetryDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"dns retry delay: {DnsRetryDelay.TotalSeconds} s is not between 0 and 600 s");
        }

        if (ConnectRetryDelay < TimeSpan.Zero || ConnectRetryDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"connect retry delay: {ConnectRetryDelay.TotalSeconds} s is not between 0 and 600 s");
        }

        if (AddressFailureBudget < 0)
        {
            errors.Add($"address failure budget: {AddressFailureBudget} is negative");
        }

        if (Limits is { } limits)
        {
            if (limits.MinIntervalPerAddress < TimeSpan.Zero || limits.MinIntervalPerAddress > TimeSpan.FromDays(1))
            {
                errors.Add($"probe interval: {limits.MinIntervalPerAddress.TotalSeconds} s is not between 0 and 86400 s");
            }

            if (limits.ConnectionsPerAddress < 1)
            {
                errors.Add($"connections per address: {limits.ConnectionsPerAddress} is not at least 1");
            }

            if (limits.MaxConcurrentConnections < 1)
            {
                errors.Add($"smtp concurrency: {limits.MaxConcurrentConnections} is not at least 1");
            }
        }

        if (string.IsNullOrWhiteSpace(SelfCheckSignedName) || string.IsNullOrWhiteSpace(SelfCheckBrokenName))
        {
            errors.Add("self-check names: both a signed and a broken name are needed");
        }

        return errors;
    }
}

/// <summary>Why the composition root built no engine.</summary>
public enum ScanEngineProblem
{
    /// <summary>An option is invalid (<see cref="ScanEngineOptions.Validate"/>).</summary>
    InvalidOptions,

    /// <summary>The resolver failed the DNSSEC self-check and insecure resolvers were not allowed.</summary>
    ResolverRefused,
}

/// <summary>The engine, or why there is none.</summary>
public sealed record ScanEngineResult(ScanEngine? Engine, ScanEngineProblem? Problem, string? Error);

/// <summary>
/// The scanning engine as the composition root built it: the resolver (with the trust mode its self-check
/// decided), the polite prober, the politeness policy and the domain checker the stages share.
/// </summary>
public sealed class ScanEngine : IDisposable
{
    internal ScanEngine(ScanEngineOptions options, DomainChecker checker, PolitenessPolicy policy, ConnectionLimiter limiter, ResolverCheckResult selfCheck, DnsTrustMode trustMode, string? warning)
    {
        Options = options;
        Checker = checker;
        Policy = policy;
        Limiter = limiter;
        SelfCheck = selfCheck;
        TrustMode = trustMode;
        Warning = warning;
    }

    public ScanEngineOptions Options { get; }

    /// <summary>One domain end to end; its resolver and prober are the resolve and probe stages' too.</summary>
    public DomainChecker Checker { get; }

    public DomainResolver Resolver => Checker.Resolver;

    public HostProber Prober => Checker.Prober;

    public PolitenessPolicy Policy { get; }

    public ConnectionLimiter Limiter { get; }

    /// <summary>The resolver's DNSSEC self-check, as run when the engine was built.</summary>
    public ResolverCheckResult SelfCheck { get; }

    /// <summary>The trust mode stamped on every DNS observation.</summary>
    public DnsTrustMode TrustMode { get; }

    /// <summary>What the user must be told (an unverified resolver), or null.</summary>
    public string? Warning { get; }

    public IPEndPoint ResolverEndpoint => Options.ResolverEndpoint;

    public int SmtpPort => Checker.SmtpPort;

    /// <summary>A telemetry export the host started for this engine (the CLI's --otlp-endpoint), stopped on dispose.</summary>
    public IDisposable? Telemetry { get; set; }

    public void Dispose()
    {
        Telemetry?.Dispose();
        Limiter.Dispose();
    }
}

/// <summary>
/// The one composition root: validates the options, runs the resolver's DNSSEC self-check, and builds the
/// resolver, prober, politeness policy and domain checker. Every host calls it; none wires the engine itself.
/// </summary>
public static class ScanEngineBuilder
{
    public static async Task<ScanEngineResult> BuildAsync(ScanEngineOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            return new ScanEngineResult(null, ScanEngineProblem.InvalidOptions, string.Join("; ", errors));
        }

        var endpoint = options.ResolverEndpoint;
        var check = await ResolverSelfCheck.CheckAsync(endpoint, options.SelfCheckSignedName, options.SelfCheckBrokenName, cancellationToken).ConfigureAwait(false);
        string? warning = null;
        var trust = DnsTrustMode.ValidatingResolverAd;
        if (check.Status != ResolverValidation.Validating)
        {
            var failure = $"the resolver {endpoint} failed the DNSSEC self-check ({check.Status}: {check.Reason})";
            if (!options.InsecureResolver)
            {
                return new ScanEngineResult(null, ScanEngineProblem.ResolverRefused, failure);
            }

            warning = $"{failure}; results are marked UnverifiedResolver and their DNSSEC statuses are not trustworthy.";
            trust = DnsTrustMode.UnverifiedResolver;
        }

        var resolver = new DomainResolver(new ValidatingResolver(new DnsResolverOptions { Endpoint = endpoint, TrustMode = trust, TransientRetryDelay = options.DnsRetryDelay }), maxMxHosts: options.MaxMxHosts);
        var policy = new PolitenessPolicy(options.OptOut, new AddressPolicy(options.AllowPrivate));
        var limiter = new ConnectionLimiter(options.Limits);
        var budget = options.AddressFailureBudget == 0 ? null : new AddressBudget(options.AddressFailureBudget);
        var prober = new HostProber(new SmtpProber(new SmtpProbeOptions(options.EhloName, connectRetryDelay: options.ConnectRetryDelay)), policy, limiter, budget: budget);
        var checker = new DomainChecker(resolver, prober, options.SmtpPort);
        return new ScanEngineResult(new ScanEngine(options, checker, policy, limiter, check, trust, warning), null, null);
    }
}
