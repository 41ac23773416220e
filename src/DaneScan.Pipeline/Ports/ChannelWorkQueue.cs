using System.Collections.Concurrent;
using System.Threading.Channels;

namespace DaneScan.Pipeline.Ports;

/// <summary>A message that was dead-lettered, with its reason.</summary>
public sealed record DeadLetter<T>(T Message, int DeliveryCount, string Reason, string Detail);

/// <summary>
/// The in-process work queue: a bounded channel (senders wait when it is full, which is the
/// back-pressure between stages). Abandoned messages are delivered again with a higher delivery
/// count until <see cref="MaxDeliveryCount"/>, then dead-lettered, as Service Bus does.
/// </summary>
public sealed class ChannelWorkQueue<T> : IWorkQueue<T>
    where T : class
{
    private readonly Channel<WorkItem<T>> _channel;
    private readonly ConcurrentQueue<DeadLetter<T>> _deadLetters = new();
    private long _pending;
    private int _completing;

    public ChannelWorkQueue(string name, int capacity = 1024, int maxDeliveryCount = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDeliveryCount, 1);
        Name = name;
        MaxDeliveryCount = maxDeliveryCount;
        _channel = Channel.CreateBounded<WorkItem<T>>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    public string Name { get; }

    public int MaxDeliveryCount { get; }

    /// <summary>Messages sent and not yet completed or dead-lettered (queued or being handled).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Messages waiting in the channel.</summary>
    public int Queued => _channel.Reader.Count;

    public IReadOnlyCollection<DeadLetter<T>> DeadLetters => _deadLetters;

    /// <summary>No more messages will be sent: receivers drain the queue and then get an empty batch.</summary>
    public void CompleteAdding()
    {
        Interlocked.Exchange(ref _completing, 1);
        if (Pending == 0)
        {
            _channel.Writer.TryComplete();
        }
    }

    public async Task SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            Interlocked.Increment(ref _pending);
            await _channel.Writer.WriteAsync(new WorkItem<T> { Message = message }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<WorkItem<T>>> ReceiveBatchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var batch = new List<WorkItem<T>>();
        if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return batch;
        }

        while (batch.Count < maxMessages && _channel.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        return batch;
    }

    public Task CompleteAsync(WorkItem<T> item, CancellationToken cancellationToken = default)
    {
        Settled();
        return Task.CompletedTask;
    }

    public async Task AbandonAsync(WorkItem<T> item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.DeliveryCount >= MaxDeliveryCount)
        {
            await DeadLetterAsync(item, "MaxDeliveryCountExceeded", $"abandoned {item.DeliveryCount} times", cancellationToken).ConfigureAwait(false);
            return;
        }

        await _channel.Writer.WriteAsync(item with { DeliveryCount = item.DeliveryCount + 1 }, cancellationToken).ConfigureAwait(false);
    }

    public Task DeadLetterAsync(WorkItem<T> item, string reason, string detail, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        _deadLetters.Enqueue(new DeadLetter<T>(item.Message, item.DeliveryCount, reason, detail));
        Settled();
        return Task.CompletedTask;
    }

    private void Settled()
    {
        if (Interlocked.Decrement(ref _pending) == 0 && Volatile.Read(ref _completing) == 1)
        {
            _channel.Writer.TryComplete();
        }
    }
}
