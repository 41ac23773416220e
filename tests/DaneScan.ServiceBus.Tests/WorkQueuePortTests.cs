using Azure.Messaging.ServiceBus;
using DaneScan.Pipeline.Messages;
using DaneScan.Pipeline.Ports;

namespace DaneScan.ServiceBus.Tests;

// The IWorkQueue port over Service Bus, against a scripted ServiceBusReceiver and a recording sender built on
// ServiceBusModelFactory: a mock of Service Bus, which cannot run here.
public sealed class WorkQueuePortTests
{
    private sealed class ScriptedReceiver(string queue, params IReadOnlyList<ServiceBusReceivedMessage>[] deliveries) : ServiceBusReceiver
    {
        private readonly Queue<IReadOnlyList<ServiceBusReceivedMessage>> _deliveries = new(deliveries);

        public RecordingReceiver Settlements { get; } = new();

        public int ReceiveCalls { get; private set; }

        public override string EntityPath => queue;

        public override bool IsClosed => _deliveries.Count == 0;

        public bool Disposed { get; private set; }

        public override Task CloseAsync(CancellationToken cancellationToken = default)
        {
            Disposed = true;
            return Task.CompletedTask;
        }

        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
        {
            ReceiveCalls++;
            var next = _deliveries.Dequeue();
            Assert.True(next.Count <= maxMessages);
            return Task.FromResult(next);
        }

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
            Settlements.CompleteMessageAsync(message, cancellationToken);

        public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default) =>
            Settlements.DeadLetterMessageAsync(message, deadLetterReason, deadLetterErrorDescription, cancellationToken);

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default) =>
            Settlements.AbandonMessageAsync(message, propertiesToModify, cancellationToken);
    }

    private static ServiceBusReceivedMessage Probe(string id, string address, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: new BinaryData(WorkMessageCodec.Encode(new ProbeRequest { RunId = "r", Host = "mx.a.example", Address = address })),
            messageId: id,
            deliveryCount: deliveryCount);

    private static ServiceBusReceivedMessage Raw(string id, string body) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString(body), messageId: id);

    [Fact]
    public async Task Receive_skips_empty_waits_dead_letters_poison_and_returns_decoded_items()
    {
        var receiver = new ScriptedReceiver(WorkQueues.Probe, [], [Raw("bad", "{]"), Probe("p1", "127.0.0.1", deliveryCount: 3), Probe("p2", "::1")]);
        await using var queue = ServiceBusWorkQueue.ForProbeRequests(new RecordingSender(WorkQueues.Probe), receiver);

        var items = await queue.ReceiveBatchAsync(10);

        Assert.Equal(2, receiver.ReceiveCalls);
        Assert.Equal(["127.0.0.1", "::1"], items.Select(i => i.Message.Address));
        Assert.Equal(["p1", "p2"], items.Select(i => i.MessageId));
        Assert.Equal(3, items[0].DeliveryCount);
        var dead = Assert.Single(receiver.Settlements.Calls);
        Assert.Equal(("deadletter", "bad", DeadLetterReasons.MalformedJson), (dead.Operation, dead.MessageId, dead.Reason));
    }

    [Fact]
    public async Task Settlement_goes_to_the_received_message()
    {
        var receiver = new ScriptedReceiver(WorkQueues.Probe, [Probe("a", "127.0.0.1"), Probe("b", "127.0.0.2"), Probe("c", "127.0.0.3")]);
        await using var queue = ServiceBusWorkQueue.ForProbeRequests(new RecordingSender(WorkQueues.Probe), receiver);
        var items = await queue.ReceiveBatchAsync(3);

        await queue.CompleteAsync(items[0]);
        await queue.AbandonAsync(items[1]);
        await queue.DeadLetterAsync(items[2], "ProbeRefused", "address is in a reserved range");

        Assert.Equal(
            [("complete", "a", null, null), ("abandon", "b", null, null), ("deadletter", "c", "ProbeRefused", "address is in a reserved range")],
            receiver.Settlements.Calls);
    }

    [Fact]
    public async Task A_closed_receiver_ends_the_stream_with_an_empty_batch_and_disposal_closes_both_links()
    {
        var sender = new RecordingSender(WorkQueues.Probe);
        var receiver = new ScriptedReceiver(WorkQueues.Probe);
        var queue = ServiceBusWorkQueue.ForProbeRequests(sender, receiver);
        Assert.Empty(await queue.ReceiveBatchAsync(5));

        await queue.DisposeAsync();
        Assert.True(receiver.Disposed);
        Assert.True(sender.Closed);
    }

    [Fact]
    public async Task An_item_from_another_queue_cannot_be_settled_here()
    {
        await using var queue = ServiceBusWorkQueue.ForProbeRequests(new RecordingSender(WorkQueues.Probe), new ScriptedReceiver(WorkQueues.Probe));
        var foreign = new WorkItem<ProbeRequest> { Message = new ProbeRequest { RunId = "r", Host = "h.example", Address = "127.0.0.1" } };
        await Assert.ThrowsAsync<ArgumentException>(() => queue.CompleteAsync(foreign));
    }

    [Fact]
    public async Task Sent_resolve_batches_keep_their_deterministic_ids()
    {
        var sender = new RecordingSender(WorkQueues.Resolve);
        await using var queue = ServiceBusWorkQueue.ForResolveBatches(sender, new ScriptedReceiver(WorkQueues.Resolve));
        var batches = ResolveBatchSplitter.Split("run-5", Enumerable.Range(0, 500).Select(i => $"d{i}.example"), 2048).ToList();

        await queue.SendBatchAsync(batches);

        var sent = sender.SentBatches.SelectMany(b => b).ToList();
        Assert.Equal(batches.Select(MessageIds.For), sent.Select(m => m.MessageId));
        Assert.Equal(WorkQueues.Resolve, queue.Name);
    }
}
