using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.ServiceBus;

namespace DaneScan.Functions.Tests;

/// <summary>
/// A mock Service Bus queue (Service Bus cannot run here): what is sent is kept in memory, in order, with its
/// MessageId, for the test to read or deliver. It keeps the 256 KB batch limit (each message counted with 512
/// bytes of framing) but has no locks, redelivery or duplicate detection. <see cref="FailAfterSendCalls"/>
/// makes a send call fail, as a lost connection would, to test what a retried timer does.
/// </summary>
internal sealed class RecordingQueue(string queue) : ServiceBusSender
{
    private readonly Queue<byte[]> _bodies = new();
    private readonly Dictionary<ServiceBusMessageBatch, List<ServiceBusMessage>> _batches = [];

    public override string EntityPath => queue;

    /// <summary>Messages not yet taken by <see cref="TryDequeue"/>.</summary>
    public int Count => _bodies.Count;

    public int Sent => Messages.Count;

    public int SendCalls { get; private set; }

    /// <summary>Every message sent, in order.</summary>
    public List<ServiceBusMessage> Messages { get; } = [];

    /// <summary>The bytes one send call may carry (Service Bus Standard: 256 KB); smaller makes more send calls.</summary>
    public int BatchBytes { get; init; } = WorkQueues.StandardMaxMessageBytes;

    /// <summary>When set, the send call after this many successful ones throws.</summary>
    public int? FailAfterSendCalls { get; set; }

    public bool TryDequeue(out byte[]? body) => _bodies.TryDequeue(out body);

    /// <summary>The resolve batches sent, decoded.</summary>
    public List<ResolveBatch> ResolveBatches() =>
        Messages.Select(m => WorkMessageCodec.DecodeResolveBatch(m.Body.ToMemory().Span).Message!).ToList();

    public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default)
    {
        var store = new List<ServiceBusMessage>();
        long size = 0;
        var batch = ServiceBusModelFactory.ServiceBusMessageBatch(BatchBytes, store, new CreateMessageBatchOptions(), m =>
        {
            var add = m.Body.ToMemory().Length + 512;
            if (size + add > BatchBytes)
            {
                return false;
            }

            size += add;
            return true;
        });
        _batches[batch] = store;
        return ValueTask.FromResult(batch);
    }

    public override Task SendMessagesAsync(ServiceBusMessageBatch messageBatch, CancellationToken cancellationToken = default)
    {
        if (FailAfterSendCalls is { } n && SendCalls >= n)
        {
            throw new ServiceBusException("the mock queue dropped the connection", ServiceBusFailureReason.ServiceCommunicationProblem);
        }

        SendCalls++;
        foreach (var message in _batches[messageBatch])
        {
            _bodies.Enqueue(message.Body.ToArray());
            Messages.Add(message);
        }

        return Task.CompletedTask;
    }
}
