using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.ServiceBus;

/// <summary>Dead-letter reasons this adapter writes (Service Bus stores them in the DeadLetterReason property).</summary>
public static class DeadLetterReasons
{
    public const string MalformedJson = "MalformedJson";
    public const string WrongKind = "WrongMessageKind";
    public const string UnknownSchemaVersion = "UnknownSchemaVersion";
    public const string InvalidContent = "InvalidContent";

    public static string For(DecodeFailure failure) => failure switch
    {
        DecodeFailure.MalformedJson => MalformedJson,
        DecodeFailure.WrongKind => WrongKind,
        DecodeFailure.UnknownSchemaVersion => UnknownSchemaVersion,
        DecodeFailure.InvalidContent => InvalidContent,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "not a failure"),
    };
}

/// <summary>How a received message was settled.</summary>
public enum Settlement
{
    Completed,
    DeadLettered,

    /// <summary>The handler failed: the lock is released so Service Bus redelivers, up to the queue's max delivery count.</summary>
    Abandoned,
}

/// <summary>A message that can never succeed on redelivery (a poison message), with the reason and a description.</summary>
public sealed record DeadLetterDecision(string Reason, string Description);

/// <summary>How a poison message (undecodable, or a handler's poison decision) is settled.</summary>
public enum PoisonSettlement
{
    /// <summary>Dead-lettered at once with its own reason.</summary>
    DeadLetterAtOnce,

    /// <summary>Logged with its reason and abandoned: Service Bus redelivers it and dead-letters it after the queue's max delivery count.</summary>
    AbandonUntilMaxDeliveryCount,
}

/// <summary>What happened to one received message.</summary>
public sealed record ProcessResult(Settlement Settlement, string? DeadLetterReason = null, string? Detail = null);

/// <summary>
/// The settlement operations of one received message; implemented over <see cref="ServiceBusReceiver"/> and over
/// a <see cref="ServiceBusProcessor"/>'s <see cref="ProcessMessageEventArgs"/>.
/// </summary>
public interface IMessageSettler
{
    Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default);

    Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken = default);

    Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default);
}

/// <summary>Settles through a receiver (the portable worker's receive loop).</summary>
public sealed class ReceiverSettler(ServiceBusReceiver receiver) : IMessageSettler
{
    public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        receiver.CompleteMessageAsync(message, cancellationToken);

    public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken = default) =>
        receiver.DeadLetterMessageAsync(message, reason, description, cancellationToken);

    public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        receiver.AbandonMessageAsync(message, propertiesToModify: null, cancellationToken);
}

/// <summary>Settles through a processor's event arguments.</summary>
public sealed class ProcessorSettler(ProcessMessageEventArgs args) : IMessageSettler
{
    public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        args.CompleteMessageAsync(message, cancellationToken);

    public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken = default) =>
        args.DeadLetterMessageAsync(message, reason, description, cancellationToken);

    public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        args.AbandonMessageAsync(message, propertiesToModify: null, cancellationToken);
}

/// <summary>
/// Decodes a received message, runs the stage handler and settles the message: complete on success; a poison
/// message (a body that can never be processed: malformed JSON, wrong kind, unknown schema version, invalid
/// content; or a handler failure <see cref="PoisonClassifier"/> calls poison) as <see cref="PoisonSettlement"/>
/// says; abandon when the handler fails otherwise, so that Service Bus redelivers it and dead-letters it itself
/// after the queue's max delivery count. Handlers must be idempotent:
/// a message can arrive more than once.
/// </summary>
public sealed partial class WorkItemProcessor
{
    /// <summary>Service Bus caps the dead-letter error description; keep well inside it.</summary>
    public const int MaxDescriptionChars = 1024;

    private readonly ILogger _logger;

    public WorkItemProcessor(ILogger<WorkItemProcessor>? logger = null) => _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>
    /// Decides whether a handler's exception marks a poison message (dead-lettered at once with the returned
    /// reason) rather than a failure worth a redelivery (abandoned); null or a null answer means abandon.
    /// </summary>
    public Func<Exception, DeadLetterDecision?>? PoisonClassifier { get; init; }

    /// <summary>How poison messages are settled (default: dead-lettered at once).</summary>
    public PoisonSettlement PoisonSettlement { get; init; } = PoisonSettlement.DeadLetterAtOnce;

    /// <summary>The messages this processor took and how it settled them (billed Service Bus operations).</summary>
    public ServiceBusOperationCounters Counters { get; } = new();

    public Task<ProcessResult> ProcessResolveBatchAsync(ServiceBusReceivedMessage message, IMessageSettler settler, Func<ResolveBatch, CancellationToken, Task> handler, CancellationToken cancellationToken = default) =>
        ProcessAsync(message, settler, static body => WorkMessageCodec.DecodeResolveBatch(body.Span), handler, cancellationToken);

    public Task<ProcessResult> ProcessProbeRequestAsync(ServiceBusReceivedMessage message, IMessageSettler settler, Func<ProbeRequest, CancellationToken, Task> handler, CancellationToken cancellationToken = default) =>
        ProcessAsync(message, settler, static body => WorkMessageCodec.DecodeProbeRequest(body.Span), handler, cancellationToken);

    private async Task<ProcessResult> ProcessAsync<T>(ServiceBusReceivedMessage message, IMessageSettler settler, Func<ReadOnlyMemory<byte>, DecodeResult<T>> decode, Func<T, CancellationToken, Task> handler, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(settler);
        ArgumentNullException.ThrowIfNull(handler);

        var body = message.Body.ToMemory();
        Counters.RecordReceive(body.Length);
        var decoded = decode(body);
        if (!decoded.Succeeded)
        {
            var reason = DeadLetterReasons.For(decoded.Failure);
            return await SettlePoisonAsync(message, settler, reason, decoded.Detail ?? reason, body, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await handler(decoded.Message!, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: leave the lock to expire or be released by the receiver's close; nothing was lost.
            throw;
        }
#pragma warning disable CA1031 // Any handler failure is a reason to let Service Bus redeliver; it is logged, not swallowed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (PoisonClassifier?.Invoke(ex) is { } poison)
            {
                return await SettlePoisonAsync(message, settler, poison.Reason, poison.Description, body, cancellationToken).ConfigureAwait(false);
            }

            LogHandlerFailed(_logger, ex, message.MessageId, message.DeliveryCount);
            await settler.AbandonAsync(message, cancellationToken).ConfigureAwait(false);
            Counters.RecordAbandon();
            return new ProcessResult(Settlement.Abandoned, null, Truncate(ex.Message, MaxDescriptionChars));
        }

        await settler.CompleteAsync(message, cancellationToken).ConfigureAwait(false);
        Counters.RecordComplete();
        return new ProcessResult(Settlement.Completed);
    }

    private async Task<ProcessResult> SettlePoisonAsync(ServiceBusReceivedMessage message, IMessageSettler settler, string reason, string detail, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var description = Truncate(detail, MaxDescriptionChars);
        if (PoisonSettlement == PoisonSettlement.AbandonUntilMaxDeliveryCount)
        {
            PoisonLog.Abandoning(_logger, message.MessageId, message.DeliveryCount, reason, description, WorkMessageCodec.Preview(body.Span));
            await settler.AbandonAsync(message, cancellationToken).ConfigureAwait(false);
            Counters.RecordAbandon();
            return new ProcessResult(Settlement.Abandoned, reason, description);
        }

        LogPoison(_logger, message.MessageId, reason, description, WorkMessageCodec.Preview(body.Span));
        await settler.DeadLetterAsync(message, reason, description, cancellationToken).ConfigureAwait(false);
        Counters.RecordDeadLetter();
        return new ProcessResult(Settlement.DeadLettered, reason, description);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettering message {MessageId}: {Reason}: {Description}; body starts {Preview}")]
    private static partial void LogPoison(ILogger logger, string messageId, string reason, string description, string preview);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler failed for message {MessageId} (delivery {DeliveryCount}); abandoning for redelivery")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string messageId, int deliveryCount);
}

/// <summary>The one log line of a poison message handed back to Service Bus, written by every host that does so.</summary>
public static partial class PoisonLog
{
    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Poison message {MessageId} (delivery {DeliveryCount}): {Reason}: {Detail}; body starts {Preview}. Abandoned: Service Bus dead-letters it after the queue's max delivery count.")]
    public static partial void Abandoning(ILogger logger, string? messageId, int? deliveryCount, string reason, string? detail, string preview);
}
