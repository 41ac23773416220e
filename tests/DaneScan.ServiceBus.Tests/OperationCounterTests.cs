using System.Text;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;

namespace DaneScan.ServiceBus.Tests;

// The operation counters against the recording stand-ins for Service Bus (a mock: the broker's own meter
// cannot run here). They count what the adapter asked of the SDK: send calls, messages and their 64 KB units,
// receives and settlements.
public sealed class OperationCounterTests
{
    [Fact]
    public async Task A_send_that_needs_three_batches_counts_three_send_calls_and_every_message()
    {
        var requests = Enumerable.Range(1, 6).Select(i => new ProbeRequest { RunId = "run-1", Host = $"mx{i}.example", Address = $"192.0.2.{i}", Port = 25 }).ToList();
        // The stand-in's batch holds bodies + 512 bytes each: make room for exactly two of these messages.
        var each = WorkMessageCodec.Encode(requests[0]).Length + 512;
        var sender = new RecordingSender(WorkQueues.Probe, maxBatchBytes: (2 * each) + (each / 2));
        var queue = new WorkQueueSender(sender);

        var summary = await queue.SendProbeRequestsAsync(requests, CancellationToken.None);

        Assert.Equal(3, sender.SentBatches.Count);
        Assert.Equal(3, queue.Counters.SendCalls);
        Assert.Equal(6, queue.Counters.MessagesSent);
        Assert.Equal(summary.BodyBytes, queue.Counters.BodyBytesSent);
        Assert.Equal(sender.SentBatches.Sum(b => b.Sum(m => (long)m.Body.ToMemory().Length)), queue.Counters.BodyBytesSent);
        // Small messages are one billed operation each, whatever call carried them.
        Assert.Equal(6, queue.Counters.BilledSendOperations);
        Assert.Equal(6, queue.Counters.BilledOperations);

        // The counters add up over calls.
        await queue.SendProbeRequestsAsync(requests[..1], CancellationToken.None);
        Assert.Equal(4, queue.Counters.SendCalls);
        Assert.Equal(7, queue.Counters.MessagesSent);
    }

    [Fact]
    public async Task A_message_over_64_KB_counts_one_operation_per_started_64_KB()
    {
        var sender = new RecordingSender(WorkQueues.Resolve);
        var queue = new WorkQueueSender(sender);
        // About 155 KB of names in one resolve message (budget 240 KiB): 3 units of 64 KB.
        var domains = Enumerable.Range(0, 5_000).Select(i => $"domain-number-{i:D6}.example").ToList();

        await queue.SendResolveBatchesAsync("run-2", domains, cancellationToken: CancellationToken.None);

        var message = Assert.Single(Assert.Single(sender.SentBatches));
        var bytes = message.Body.ToMemory().Length;
        Assert.InRange(bytes, 128 * 1024 + 1, 192 * 1024);
        Assert.Equal(1, queue.Counters.SendCalls);
        Assert.Equal(3, queue.Counters.BilledSendOperations);
        Assert.Equal(1, ServiceBusOperationCounters.Units(0));
        Assert.Equal(1, ServiceBusOperationCounters.Units(64 * 1024));
        Assert.Equal(2, ServiceBusOperationCounters.Units((64 * 1024) + 1));
    }

    [Fact]
    public async Task The_processor_counts_each_received_message_and_how_it_was_settled()
    {
        var receiver = new RecordingReceiver();
        var processor = new WorkItemProcessor();
        var good = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ResolveBatch { RunId = "run-1", Domains = ["a.example"] }));
        ServiceBusReceivedMessage Message(string body, string id) => ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString(body), messageId: id);

        await processor.ProcessResolveBatchAsync(Message(good, "m-1"), new ReceiverSettler(receiver), (_, _) => Task.CompletedTask, CancellationToken.None);
        await processor.ProcessResolveBatchAsync(Message(good, "m-2"), new ReceiverSettler(receiver), (_, _) => Task.CompletedTask, CancellationToken.None);
        await processor.ProcessResolveBatchAsync(Message("not json", "m-3"), new ReceiverSettler(receiver), (_, _) => Task.CompletedTask, CancellationToken.None);
        await processor.ProcessResolveBatchAsync(Message(good, "m-4"), new ReceiverSettler(receiver), (_, _) => throw new InvalidOperationException("store down"), CancellationToken.None);

        Assert.Equal(4, processor.Counters.MessagesReceived);
        Assert.Equal(4, processor.Counters.BilledReceiveOperations);
        Assert.Equal(2, processor.Counters.Completes);
        Assert.Equal(1, processor.Counters.DeadLetters);
        Assert.Equal(1, processor.Counters.Abandons);
        // Every receive and every settlement call the receiver saw is one billed operation.
        Assert.Equal(4 + receiver.Calls.Count, processor.Counters.BilledOperations);
        Assert.Equal(0, processor.Counters.SendCalls);
    }
}
