namespace DaneScan.Pipeline.Ports;

/// <summary>One received message, to settle once handled.</summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed record WorkItem<T>
    where T : class
{
    public required T Message { get; init; }

    /// <summary>How many times this message has been delivered, this time included (1 for the first).</summary>
    public int DeliveryCount { get; init; } = 1;

    /// <summary>The message's id, if the queue has one (Service Bus: the MessageId used for duplicate detection).</summary>
    public string? MessageId { get; init; }

    /// <summary>What the adapter needs to settle the message (a lock token, a received message); opaque to stages.</summary>
    public object? Receipt { get; init; }
}

/// <summary>
/// A work queue between stages (Service Bus in Azure, channels in one process). Delivery is at least
/// once: a handler must be idempotent. A message is settled exactly once: completed when handled,
/// abandoned to be delivered again, or dead-lettered with a reason.
/// </summary>
/// <typeparam name="T">The message type (for example a resolve batch or a probe request).</typeparam>
public interface IWorkQueue<T>
    where T : class
{
    /// <summary>The queue's name, for logs and progress.</summary>
    string Name { get; }

    /// <summary>Sends messages; the adapter packs them into as few transport batches as its size limits allow.</summary>
    Task SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for at least one message and returns up to <paramref name="maxMessages"/>; returns an empty
    /// list only when the queue is completed and drained (in-process) or closed.
    /// </summary>
    Task<IReadOnlyList<WorkItem<T>>> ReceiveBatchAsync(int maxMessages, CancellationToken cancellationToken = default);

    Task CompleteAsync(WorkItem<T> item, CancellationToken cancellationToken = default);

    Task AbandonAsync(WorkItem<T> item, CancellationToken cancellationToken = default);

    Task DeadLetterAsync(WorkItem<T> item, string reason, string detail, CancellationToken cancellationToken = default);
}
