using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Functions.Settings;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Politeness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions.Stages;

/// <summary>
/// Whether the configured resolver's AD bit can be trusted, decided once per app instance by
/// <see cref="ResolverSelfCheck"/> (AD on a signed name, SERVFAIL on a deliberately broken one), as the CLI's
/// <c>check</c> and <c>scan</c> do. A resolver that fails is refused unless <c>Scan__InsecureResolver=true</c>;
/// then the trust mode is <see cref="DnsTrustMode.UnverifiedResolver"/>, which the resolve stage stamps on every
/// observation and the enumerate stage on every run manifest. Every stage waits for the same check, so no
/// function can store an answer before the resolver was judged (the Functions worker may take invocations
/// before the host's hosted services have all started).
/// </summary>
public sealed partial class ResolverTrust
{
    private readonly ScanOptions _options;
    private readonly ILogger _logger;
    private readonly Func<CancellationToken, Task<OptOutList>> _optOut;
    private readonly Lazy<Task<ScanEngine>> _engine;

    public ResolverTrust(IOptions<ScanOptions> options, ILogger<ResolverTrust> logger, Func<CancellationToken, Task<OptOutList>>? optOut = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _optOut = optOut ?? (_ => Task.FromResult(OptOutList.Empty));
        _engine = new Lazy<Task<ScanEngine>>(BuildAsync);
    }

    /// <summary>The self-check's result, once it ran.</summary>
    public ResolverCheckResult? Check { get; private set; }

    /// <summary>
    /// The trust mode of this instance's DNS answers; throws <see cref="InvalidOperationException"/> (every time)
    /// when the resolver failed the self-check and insecure resolvers are not allowed.
    /// </summary>
    public async Task<DnsTrustMode> GetTrustModeAsync(CancellationToken cancellationToken = default) =>
        (await GetEngineAsync(cancellationToken).ConfigureAwait(false)).TrustMode;

    /// <summary>The engine, built once per instance by the composition root (<see cref="ScanEngineBuilder"/>).</summary>
    public Task<ScanEngine> GetEngineAsync(CancellationToken cancellationToken = default) => _engine.Value.WaitAsync(cancellationToken);

    private async Task<ScanEngine> BuildAsync()
    {
        var endpoint = DnsResolverOptions.ParseEndpoint(_options.ResolverEndpoint!);

        // Not cancellable by one caller: the outcome is shared; each lookup has the resolver's own deadline.
        var built = await ScanEngineBuilder.BuildAsync(
            new ScanEngineOptions
            {
                ResolverEndpoint = endpoint,
                SmtpPort = _options.SmtpPort,
                EhloName = _options.HeloName!,
                AllowPrivate = false,
                OptOut = await _optOut(CancellationToken.None).ConfigureAwait(false),
                InsecureResolver = _options.InsecureResolver,
                SelfCheckSignedName = _options.SelfCheckSignedName,
                SelfCheckBrokenName = _options.SelfCheckBrokenName,
            },
            CancellationToken.None).ConfigureAwait(false);
        if (built.Engine is not { } engine)
        {
            throw new InvalidOperationException(built.Problem == ScanEngineProblem.ResolverRefused
                ? $"DaneScan.Functions cannot start: {built.Error?.Replace($"the resolver {endpoint} ", $"the resolver {endpoint} (Scan__ResolverEndpoint) ", StringComparison.Ordinal)}. " +
                  "The scanner trusts its resolver's AD bit, so it needs a validating resolver (Azure's built-in resolver does not validate). " +
                  "Point Scan__ResolverEndpoint at one, or set Scan__InsecureResolver=true to run anyway with every result marked UnverifiedResolver."
                : $"DaneScan.Functions cannot start: {built.Error}");
        }

        Check = engine.SelfCheck;
        if (engine.TrustMode == DnsTrustMode.ValidatingResolverAd)
        {
            LogValidating(_logger, engine.SelfCheck.Reason);
        }
        else
        {
            LogInsecure(_logger, endpoint.ToString(), engine.SelfCheck.Status.ToString(), engine.SelfCheck.Reason);
        }

        return engine;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resolver self-check passed: {Reason}")]
    private static partial void LogValidating(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The resolver {Endpoint} failed the DNSSEC self-check ({Status}: {Reason}); Scan__InsecureResolver=true: results are marked UnverifiedResolver and their DNSSEC statuses are not trustworthy")]
    private static partial void LogInsecure(ILogger logger, string endpoint, string status, string reason);
}

/// <summary>Runs the resolver self-check when the app starts and stops the start-up when it refuses the resolver.</summary>
internal sealed class ResolverSelfCheckService(ResolverTrust trust) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => trust.GetTrustModeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
