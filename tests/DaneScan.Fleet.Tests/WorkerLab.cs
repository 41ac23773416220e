using Azure.Messaging.ServiceBus;
using DaneScan.Dns;
using DaneScan.Lab;
using DaneScan.Lab.Testing;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Smtp;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// The worker tests' own lab (every catalogue case: real nsd, unbound and SMTP servers), one per test run, on
/// 127.62.0.0/16. Two checkouts running these tests at once would answer each other's probes with the wrong
/// certificates, so: <c>DANESCAN_WORKER_LAB_OCTET</c> picks the block, and when 62 is taken (another run's
/// lab listens there) a free block from 200-250 is used instead.
/// </summary>
public sealed class WorkerLab : LabFixture
{
    public const byte DefaultOctet = 62;

    public WorkerLab()
        : base(ChooseOctet())
    {
    }

    private static byte ChooseOctet()
    {
        if (byte.TryParse(Environment.GetEnvironmentVariable("DANESCAN_WORKER_LAB_OCTET"), out var octet) && octet is > 0 and < 255)
        {
            return octet;
        }

        try
        {
            return LabEnvironment.FreeOctet(DefaultOctet, DefaultOctet);
        }
        catch (LabException)
        {
            return LabEnvironment.FreeOctet(200, 250);
        }
    }

    /// <summary>The engine as <c>danescan worker --lab</c> builds it, through the composition root: the lab's resolver and self-check names, loopback allowed, the given opt-out list, and no pause between connections unless <paramref name="limits"/> say otherwise.</summary>
    public async Task<ScanEngine> NewEngineAsync(OptOutList optOut, ConnectionLimits? limits = null)
    {
        var built = await ScanEngineBuilder.BuildAsync(new ScanEngineOptions
        {
            ResolverEndpoint = Lab.Resolver,
            SmtpPort = Lab.Options.SmtpPort,
            EhloName = "scanner.danescan.test",
            AllowPrivate = true,
            OptOut = optOut,
            SelfCheckSignedName = LabEnvironment.SignedName,
            SelfCheckBrokenName = LabEnvironment.BogusName,
            Limits = limits ?? new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero },
        });
        return built.Engine ?? throw new InvalidOperationException(built.Error);
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
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: sent.Body, messageId: sent.MessageId, deliveryCount: deliveryCount, subject: sent.Subject, properties: sent.ApplicationProperties);

    public static ServiceBusReceivedMessage Body(BinaryData body, string messageId, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: body, messageId: messageId, deliveryCount: deliveryCount);
}
