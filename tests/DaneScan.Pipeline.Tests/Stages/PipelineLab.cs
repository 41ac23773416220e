using DaneScan.Contracts;
using DaneScan.Dns;
using DaneScan.Lab;
using DaneScan.Lab.Scale;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Local;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>
/// The pipeline tests' own lab on 127.58.0.0/16 (the LabFixture pattern of the other test projects): every
/// catalogue case, plus a small scale set where many domains share few MX hosts, so host dedupe shows.
/// </summary>
public sealed class PipelineLab : IAsyncLifetime
{
    public const byte Octet = 58;
    public const int ScaleDomains = 300;
    public const int ScaleHosts = 6;

    public LabOptions Options { get; } = new()
    {
        Octet = Octet,
        StateDirectory = Path.Combine(Path.GetTempPath(), $"danescan-lab-test-{Octet}"),
        Scale = new ScaleOptions { Domains = ScaleDomains, Hosts = ScaleHosts },
    };

    public LabEnvironment Lab { get; private set; } = null!;

    public ScaleLab Scale => Lab.Scale!;

    public async Task InitializeAsync() => Lab = await LabEnvironment.StartAsync(Options);

    public async Task DisposeAsync()
    {
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        try
        {
            Directory.Delete(Options.ResolvedStateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next start, which cleans it.
        }
    }

    /// <summary>A runner wired as <c>danescan scan --lab</c> wires it (loopback allowed), with no per-address pause.</summary>
    public LocalScanRunner NewRunner(
        IResultStore store,
        string runId,
        ConnectionLimiter limiter,
        OptOutList? optOut = null,
        Func<LocalScanOptions, LocalScanOptions>? configure = null,
        Func<IRrsetResolver, IRrsetResolver>? wrapResolver = null,
        SmtpProbeOptions? probeOptions = null)
    {
        IRrsetResolver rrsets = new ValidatingResolver(new DnsResolverOptions { Endpoint = Lab.Resolver });
        var resolver = new DomainResolver(wrapResolver is null ? rrsets : wrapResolver(rrsets));
        var policy = new PolitenessPolicy(optOut ?? OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: true));
        var prober = new HostProber(new SmtpProber(probeOptions ?? new SmtpProbeOptions("scanner.danescan.test")), policy, limiter, budget: new AddressBudget());
        var options = new LocalScanOptions
        {
            RunId = runId,
            SmtpPort = Options.SmtpPort,
            DnsConcurrency = 16,
            SmtpConcurrency = 16,
            ChannelCapacity = 32,
        };
        return new LocalScanRunner(resolver, prober, policy, store, configure is null ? options : configure(options));
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineLabCollection : ICollectionFixture<PipelineLab>
{
    public const string Name = "pipeline lab";
}
