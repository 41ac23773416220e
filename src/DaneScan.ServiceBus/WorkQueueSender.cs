using System.Runtime.CompilerServices;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.ServiceBus;

/// <summary>What one send call put on a queue.</summary>
public sealed record SendSummary(int Messages, int SendCalls, long BodyBytes);

/// <summary>
/// Sends work messages to one queue. Messages are packed into <see cref="ServiceBusMessageBatch"/>es, which
/// the SDK keeps within the namespace's size limit, so one send call carries as many messages as fit:
/// fewer operations against the namespace's throttling budget (about 1,000 operations per second on Standard).
/// </summary>
public sealed partial class WorkQueueSender
{
    private readonly ServiceBusSender _sender;
    private readonly ILogger _logger;

    public WorkQueueSender(ServiceBusSender sender, ILogger<WorkQueueSender>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        _sender = sender;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public string QueueName => _sender.EntityPath;

    /// <summary>What this sender sent: send calls, messages, body bytes and billed operations.</summary>
    public ServiceBusOperationCounters Counters { get; } = new();

    /// <summary>Builds the Service Bus message for a resolve batch: JSON body, deterministic MessageId, subject = kind.</summary>
    public static ServiceBusMessage ToMessage(ResolveBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new ServiceBusMessage(WorkMessageCodec.Encode(batch))
        {
            MessageId = MessageIds.For(batch),
            ContentType = "application/json",
            Subject = WorkMessageKinds.ResolveBatch,
            CorrelationId = batch.RunId,
            ApplicationProperties = { ["v"] = batch.SchemaVersion, ["runId"] = batch.RunId, ["domains"] = batch.Domains.Count },
        };
    }

    /// <summary>Builds the Service Bus message for a probe request.</summary>
    public static ServiceBusMessage ToMessage(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ServiceBusMessage(WorkMessageCodec.Encode(request))
        {
            MessageId = MessageIds.For(request),
            ContentType = "application/json",
            Subject = WorkMessageKinds.ProbeRequest,
            CorrelationId = request.RunId,
            ApplicationProperties = { ["v"] = request.SchemaVersion, ["runId"] = request.RunId },
        };
    }

    /// <summary>
    /// The message that sends a deferred probe request back to the queue: the request's body and properties, the
    /// deferral count in <see cref="ProbeDeferrals.CountProperty"/>, and the MessageId of <see cref="ProbeDeferrals.MessageId"/>.
    /// </summary>
    public static ServiceBusMessage ToDeferredMessage(ProbeRequest request, int deferrals)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deferrals, 1);
        var message = ToMessage(request);
        message.MessageId = ProbeDeferrals.MessageId(request, deferrals);
        message.ApplicationProperties[ProbeDeferrals.CountProperty] = deferrals;
        return message;
    }

    /// <summary>
    /// Sends a deferred probe request back as a scheduled message (<see cref="ServiceBusSender.ScheduleMessageAsync(ServiceBusMessage, DateTimeOffset, CancellationToken)"/>),
    /// delivered from <paramref name="at"/> on; returns its sequence number. One send operation.
    /// </summary>
    public async Task<long> ScheduleDeferredProbeRequestAsync(ProbeRequest request, int deferrals, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var message = ToDeferredMessage(request, deferrals);
        var sequence = await _sender.ScheduleMessageAsync(message, at, cancellationToken).ConfigureAwait(false);
        Counters.RecordSend([message.Body.ToMemory().Length]);
        LogScheduled(_logger, message.MessageId, _sender.EntityPath, at);
        return sequence;
    }

    /// <summary>Splits the domains by measured size and sends the batches.</summary>
    public Task<SendSummary> SendResolveBatchesAsync(string runId, IEnumerable<string> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, CancellationToken cancellationToken = default) =>
        SendAsync(ResolveBatchSplitter.Split(runId, domains, bodyBudgetBytes).Select(ToMessage), cancellationToken);

    /// <summary>
    /// Splits streamed domains by measured size and sends the batches as they fill: memory holds one resolve
    /// batch and one message batch, however many names the stream yields. The MessageIds are those of
    /// <see cref="MessageIds.For(ResolveBatch)"/>, so the same names sent again for the same run are dropped by
    /// the queue's duplicate detection.
    /// </summary>
    public Task<SendSummary> SendResolveBatchesAsync(string runId, IAsyncEnumerable<string> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, CancellationToken cancellationToken = default) =>
        SendResolveBatchesAsync(runId, domains, bodyBudgetBytes, int.MaxValue, cancellationToken);

    /// <summary>As the overload without a cap, with at most <paramref name="maxDomainsPerBatch"/> names per batch as well as the byte budget.</summary>
    public Task<SendSummary> SendResolveBatchesAsync(string runId, IAsyncEnumerable<string> domains, int bodyBudgetBytes, int maxDomainsPerBatch, CancellationToken cancellationToken = default) =>
        SendAsync(ToMessages(ResolveBatchSplitter.SplitAsync(runId, domains, bodyBudgetBytes, maxDomainsPerBatch, cancellationToken), cancellationToken), cancellationToken);

    /// <summary>As the names-only overload, carrying each domain's list rank in the batches (<see cref="ResolveBatch.Ranks"/>).</summary>
    public Task<SendSummary> SendResolveBatchesAsync(string runId, IAsyncEnumerable<ListedDomain> domains, int bodyBudgetBytes, int maxDomainsPerBatch, CancellationToken cancellationToken = default) =>
        SendAsync(ToMessages(ResolveBatchSplitter.SplitAsync(runId, domains, bodyBudgetBytes, maxDomainsPerBatch, cancellationToken), cancellationToken), cancellationToken);

    public Task<SendSummary> SendProbeRequestsAsync(IEnumerable<ProbeRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return SendAsync(requests.Select(ToMessage), cancellationToken);
    }

    /// <summary>Sends messages in as few size-bounded send calls as they fit into.</summary>
    public Task<SendSummary> SendAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return SendAsync(messages.ToAsyncEnumerable(), cancellationToken);
    }

    private static async IAsyncEnumerable<ServiceBusMessage> ToMessages(IAsyncEnumerable<ResolveBatch> batches, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var batch in batches.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return ToMessage(batch);
        }
    }

    /// <summary>Sends streamed messages in as few size-bounded send calls as they fit into, sending each call as it fills.</summary>
    public async Task<SendSummary> SendAsync(IAsyncEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sent = 0;
        var calls = 0;
        long bytes = 0;
        ServiceBusMessageBatch? batch = null;
        var sizes = new List<int>();
        try
        {
            await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                batch ??= await _sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
                if (batch.TryAddMessage(message))
                {
                    bytes += message.Body.ToMemory().Length;
                    sizes.Add(message.Body.ToMemory().Length);
                    continue;
                }

                if (batch.Count == 0)
                {
                    throw new InvalidOperationException($"message {message.MessageId} ({message.Body.ToMemory().Length} bytes) does not fit into an empty batch of {batch.MaxSizeInBytes} bytes");
                }

                await _sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
                calls++;
                sent += batch.Count;
                Counters.RecordSend(sizes);
                sizes.Clear();
                LogSent(_logger, batch.Count, _sender.EntityPath);
                batch.Dispose();
                batch = await _sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
                if (!batch.TryAddMessage(message))
                {
                    throw new InvalidOperationException($"message {message.MessageId} ({message.Body.ToMemory().Length} bytes) does not fit into an empty batch of {batch.MaxSizeInBytes} bytes");
                }

                bytes += message.Body.ToMemory().Length;
                sizes.Add(message.Body.ToMemory().Length);
            }

            if (batch is { Count: > 0 })
            {
                await _sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
                calls++;
                sent += batch.Count;
                Counters.RecordSend(sizes);
                LogSent(_logger, batch.Count, _sender.EntityPath);
            }
        }
        finally
        {
            batch?.Dispose();
        }

        return new SendSummary(sent, calls, bytes);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scheduled deferred message {MessageId} on queue {Queue} for {At:o}")]
    private static partial void LogScheduled(ILogger logger, string messageId, string queue, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sent {Count} messages to queue {Queue}")]
    private static partial void LogSent(ILogger logger, int count, string queue);
}
