using Azure.Messaging.ServiceBus;
using DaneScan.Dns;
using DaneScan.Lab.Testing;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;

namespace DaneScan.Fleet.Tests;

/// <summary>The worker tests' own lab on 127.62.0.0/16 (every catalogue case: real nsd, unbound and SMTP servers), one per test run.</summary>
public sealed class WorkerLab : LabFixture
{
    public const byte Octet = 62;

    public WorkerLab()
        : base(Octet)
    {
    }

    /// <summary>The engine as <c>danescan worker --lab</c> builds it: the lab's resolver, loopback allowed, the given opt-out list.</summary>
    public DomainChecker NewChecker(ConnectionLimiter limiter, PolitenessPolicy policy)
    {
        var resolver = new DomainResolver(new DnsResolverOptions { Endpoint = Lab.Resolver });
        var prober = new HostProber(new SmtpProber(new SmtpProbeOptions("scanner.danescan.test")), policy, limiter);
        return new DomainChecker(resolver, prober, Lab.Options.SmtpPort);
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerLabCollection : ICollectionFixture<WorkerLab>
{
    public const string Name = "worker lab";
}

/// <summary>Turns what a mocked sender recorded into the messages a receiver would get (Service Bus cannot run here).</summary>
internal static class Delivered
{
    public static ServiceBusReceivedMessage From(ServiceBusMessage sent, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: sent.Body, messageId: sent.MessageId, deliveryCount: deliveryCount, subject: sent.Subject);

    public static ServiceBusReceivedMessage Body(BinaryData body, string messageId, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: body, messageId: messageId, deliveryCount: deliveryCount);
}
