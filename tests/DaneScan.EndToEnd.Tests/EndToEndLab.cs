using DaneScan.Dns;
using DaneScan.Lab.Testing;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;

namespace DaneScan.EndToEnd.Tests;

/// <summary>The end-to-end tests' own lab, on 127.57.0.0/16, started once for the whole assembly.</summary>
public sealed class EndToEndLab : LabFixture
{
    public const byte Octet = 57;

    public EndToEndLab()
        : base(Octet)
    {
    }

    /// <summary>The engine exactly as <c>danescan check --lab</c> builds it: the lab's resolver, loopback allowed.</summary>
    public DomainChecker NewChecker(ConnectionLimiter limiter)
    {
        var resolver = new DomainResolver(new DnsResolverOptions { Endpoint = Lab.Resolver });
        var policy = new PolitenessPolicy(OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: true));
        var prober = new HostProber(new SmtpProber(new SmtpProbeOptions("scanner.danescan.test")), policy, limiter);
        return new DomainChecker(resolver, prober, Lab.Options.SmtpPort);
    }
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndLab>
{
    public const string Name = "end-to-end lab";
}
