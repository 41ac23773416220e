using Azure.Messaging.ServiceBus;
using DaneScan.Pipeline.Messages;

namespace DaneScan.ServiceBus.Tests;

// The worker's receive loop, driven by a ServiceBusProcessor subclass that hands messages to the registered
// handler as the real processor would: a mock of Service Bus, which cannot run here.
public sealed class ConsumerTests
{
    private sealed class ScriptedProcessor : ServiceBusProcessor
    {
        public bool Started { get; private set; }

        public override Task StartProcessingAsync(CancellationToken cancellationToken = default)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public override Task StopProcessingAsync(CancellationToken cancellationToken = default)
        {
            Started = false;
            return Task.CompletedTask;
        }

        public Task DeliverAsync(ServiceBusReceivedMessage message, ServiceBusReceiver receiver) =>
            OnProcessMessageAsync(new ProcessMessageEventArgs(message, receiver, CancellationToken.None));
    }

    [Fact]
    public async Task The_worker_loop_handles_good_probe_requests_and_dead_letters_poison_ones()
    {
        var processor = new ScriptedProcessor();
        var receiver = new RecordingReceiver();
        var probed = new List<string>();
        await using var consumer = WorkQueueConsumer.ForProbes(processor, (p, _) =>
        {
            probed.Add($"{p.Host}/{p.Address}");
            return Task.CompletedTask;
        });
        await consumer.StartAsync();
        Assert.True(processor.Started);

        var good = WorkMessageCodec.Encode(new ProbeRequest { RunId = "r", Host = "mx.a.example", Address = "127.0.0.7", Sni = "mx.a.example" });
        await processor.DeliverAsync(ServiceBusModelFactory.ServiceBusReceivedMessage(body: new BinaryData(good), messageId: "ok"), receiver);
        await processor.DeliverAsync(ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("""{"kind":"danescan.probe-request","v":9}"""), messageId: "future"), receiver);
        await processor.DeliverAsync(ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("<xml/>"), messageId: "junk"), receiver);

        Assert.Equal(["mx.a.example/127.0.0.7"], probed);
        Assert.Equal(
            [("complete", "ok", null), ("deadletter", "future", DeadLetterReasons.UnknownSchemaVersion), ("deadletter", "junk", DeadLetterReasons.MalformedJson)],
            receiver.Calls.Select(c => (c.Operation, c.MessageId, c.Reason)));
        Assert.Equal((1, 2, 0), consumer.Counts);

        await consumer.StopAsync();
        Assert.False(processor.Started);
    }

    [Fact]
    public void Worker_processors_settle_explicitly_and_do_not_prefetch()
    {
        var options = WorkQueueConsumer.Options(8);
        Assert.False(options.AutoCompleteMessages);
        Assert.Equal(ServiceBusReceiveMode.PeekLock, options.ReceiveMode);
        Assert.Equal(0, options.PrefetchCount);
        Assert.Equal(8, options.MaxConcurrentCalls);
    }
}
