using Azure.Messaging.ServiceBus;
using DaneScan.Pipeline.Messages;
using DaneScan.Pipeline.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.ServiceBus;

/// <summary>Service Bus work queues for the pipeline's <see cref="IWorkQueue{T}"/> port (the portable worker, a distributed local run).</summary>
public static class ServiceBusWorkQueue
{
    public static ServiceBusWorkQueue<ResolveBatch> ForResolveBatches(ServiceBusClient client, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return ForResolveBatches(client.CreateSender(WorkQueues.Resolve), client.CreateReceiver(WorkQueues.Resolve, ReceiverOptions), loggers);
    }

    public static ServiceBusWorkQueue<ProbeRequest> ForProbeRequests(ServiceBusClient client, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return ForProbeRequests(client.CreateSender(WorkQueues.Probe), client.CreateReceiver(WorkQueues.Probe, ReceiverOptions), loggers);
    }

    public static ServiceBusWorkQueue<ResolveBatch> ForResolveBatches(ServiceBusSender sender, ServiceBusReceiver receiver, ILoggerFactory? loggers = null) =>
        new(sender, receiver, WorkQueueSender.ToMessage, static b => WorkMessageCodec.DecodeResolveBatch(b.Span), loggers);

    public static ServiceBusWorkQueue<ProbeRequest> ForProbeRequests(ServiceBusSender sender, ServiceBusReceiver receiver, ILoggerFactory? loggers = null) =>
        new(sender, receiver, WorkQueueSender.ToMessage, static b => WorkMessageCodec.DecodeProbeRequest(b.Span), loggers);

    /// <summary>Peek-lock, no prefetch: a worker takes only what it is about to handle.</summary>
    public static ServiceBusReceiverOptions ReceiverOptions { get; } = new() { ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 };
}

/// <summary>
/// One Service Bus queue as an <see cref="IWorkQueue{T}"/>: sends with deterministic MessageIds in
/// size-bounded batches, receives in peek-lock mode, and dead-letters a message that cannot be decoded at
/// once, with its reason, instead of handing it to the stage. The <see cref="WorkItem{T}.Receipt"/> is the
/// received message, which settlement needs.
/// </summary>
public sealed partial class ServiceBusWorkQueue<T> : IWorkQueue<T>, IAsyncDisposable
    where T : class
{
    private readonly ServiceBusReceiver _receiver;
    private readonly WorkQueueSender _sender;
    private readonly ServiceBusSender _rawSender;
    private readonly Func<T, ServiceBusMessage> _toMessage;
    private readonly Func<ReadOnlyMemory<byte>, DecodeResult<T>> _decode;
    private readonly ILogger _logger;

    internal ServiceBusWorkQueue(ServiceBusSender sender, ServiceBusReceiver receiver, Func<T, ServiceBusMessage> toMessage, Func<ReadOnlyMemory<byte>, DecodeResult<T>> decode, ILoggerFactory? loggers)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(receiver);
        _rawSender = sender;
        _receiver = receiver;
        _sender = new WorkQueueSender(sender, loggers?.CreateLogger<WorkQueueSender>());
        _toMessage = toMessage;
        _decode = decode;
        _logger = (ILogger?)loggers?.CreateLogger<ServiceBusWorkQueue<T>>() ?? NullLogger.Instance;
    }

    public string Name => _receiver.EntityPath;

    /// <summary>How long one receive call waits for a message before it asks again.</summary>
    public TimeSpan ReceiveWait { get; init; } = TimeSpan.FromSeconds(30);

    public async Task SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await _sender.SendAsync(messages.Select(_toMessage), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WorkItem<T>>> ReceiveBatchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_receiver.IsClosed)
            {
                return [];
            }

            var received = await _receiver.ReceiveMessagesAsync(maxMessages, ReceiveWait, cancellationToken).ConfigureAwait(false);
            var items = new List<WorkItem<T>>(received.Count);
            foreach (var message in received)
            {
                var body = message.Body.ToMemory();
                var decoded = _decode(body);
                if (!decoded.Succeeded)
                {
                    var reason = DeadLetterReasons.For(decoded.Failure);
                    var detail = decoded.Detail ?? reason;
                    detail = detail.Length <= WorkItemProcessor.MaxDescriptionChars ? detail : detail[..WorkItemProcessor.MaxDescriptionChars];
                    LogPoison(_logger, message.MessageId, Name, reason, detail);
                    await _receiver.DeadLetterMessageAsync(message, reason, detail, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                items.Add(new WorkItem<T> { Message = decoded.Message!, DeliveryCount = message.DeliveryCount, MessageId = message.MessageId, Receipt = message });
            }

            if (items.Count > 0)
            {
                return items;
            }
        }
    }

    public Task CompleteAsync(WorkItem<T> item, CancellationToken cancellationToken = default) =>
        _receiver.CompleteMessageAsync(Receipt(item), cancellationToken);

    public Task AbandonAsync(WorkItem<T> item, CancellationToken cancellationToken = default) =>
        _receiver.AbandonMessageAsync(Receipt(item), propertiesToModify: null, cancellationToken);

    public Task DeadLetterAsync(WorkItem<T> item, string reason, string detail, CancellationToken cancellationToken = default) =>
        _receiver.DeadLetterMessageAsync(Receipt(item), reason, detail, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync().ConfigureAwait(false);
        await _rawSender.DisposeAsync().ConfigureAwait(false);
    }

    private static ServiceBusReceivedMessage Receipt(WorkItem<T> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Receipt as ServiceBusReceivedMessage
            ?? throw new ArgumentException("the work item was not received from a Service Bus queue (its receipt is not a ServiceBusReceivedMessage)", nameof(item));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered message {MessageId} on {Queue}: {Reason}: {Detail}")]
    private static partial void LogPoison(ILogger logger, string messageId, string queue, string reason, string detail);
}
