using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Azure.Messaging.ServiceBus;
using DaneScan.ServiceBus;
using Microsoft.Azure.Functions.Worker;

namespace DaneScan.Benchmarks.Cost;

/// <summary>
/// A stand-in for one Service Bus queue (Service Bus cannot run here): a <see cref="ServiceBusSender"/>
/// whose batches land in an in-memory channel, in order, delivered once (no locks, redelivery or duplicate
/// detection); a scheduled message (<see cref="ScheduleMessageAsync(ServiceBusMessage, DateTimeOffset, CancellationToken)"/>,
/// how the probe stage sends back a request whose address is busy) joins the channel when it falls due. What the
/// fleet sends is counted by its real <see cref="WorkQueueSender"/>; what the Functions host would do on the
/// receiving side (one peek-lock receive and one complete per message, since the triggers auto-complete) is
/// counted here in <see cref="Host"/>.
/// </summary>
internal sealed class MemoryQueue(string name, Action onEnqueued) : ServiceBusSender
{
    private readonly Channel<QueuedMessage> _channel = Channel.CreateUnbounded<QueuedMessage>();
    private readonly ConcurrentDictionary<ServiceBusMessageBatch, List<ServiceBusMessage>> _batches = new();
    private long _sequence;
    private long _scheduled;

    public override string EntityPath => name;

    /// <summary>The receiving side's operations, as the Functions host would make them.</summary>
    public ServiceBusOperationCounters Host { get; } = new();

    /// <summary>Messages sent as scheduled messages (each one deferral of a probe request).</summary>
    public long Scheduled => Interlocked.Read(ref _scheduled);

    public ChannelReader<QueuedMessage> Reader => _channel.Reader;

    public override Task<long> ScheduleMessageAsync(ServiceBusMessage message, DateTimeOffset scheduledEnqueueTime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        onEnqueued();
        Interlocked.Increment(ref _scheduled);
        var due = scheduledEnqueueTime - DateTimeOffset.UtcNow;
        _ = DeliverLaterAsync(QueuedMessage.From(message), due > TimeSpan.Zero ? due : TimeSpan.Zero);
        return Task.FromResult(Interlocked.Increment(ref _sequence));
    }

    private async Task DeliverLaterAsync(QueuedMessage message, TimeSpan due)
    {
        await Task.Delay(due).ConfigureAwait(false);
        if (!_channel.Writer.TryWrite(message))
        {
            throw new InvalidOperationException($"queue {name} closed with a scheduled message not yet due");
        }
    }

    public void Close() => _channel.Writer.TryComplete();

    public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default)
    {
        var store = new List<ServiceBusMessage>();
        long size = 0;
        var batch = ServiceBusModelFactory.ServiceBusMessageBatch(WorkQueues.StandardMaxMessageBytes, store, new CreateMessageBatchOptions(), m =>
        {
            // Body plus a generous allowance for the AMQP envelope, MessageId and application properties.
            var add = m.Body.ToMemory().Length + 512;
            if (size + add > WorkQueues.StandardMaxMessageBytes)
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
        ArgumentNullException.ThrowIfNull(messageBatch);
        if (!_batches.TryRemove(messageBatch, out var messages))
        {
            throw new InvalidOperationException("a batch this queue did not create");
        }

        foreach (var message in messages)
        {
            onEnqueued();
            if (!_channel.Writer.TryWrite(QueuedMessage.From(message)))
            {
                throw new InvalidOperationException($"queue {name} is closed");
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>A message as the trigger sees it: the body, and the application properties as the binding data's JSON object.</summary>
internal sealed record QueuedMessage(byte[] Body, string? ApplicationProperties)
{
    public static QueuedMessage From(ServiceBusMessage message) => new(
        message.Body.ToArray(),
        message.ApplicationProperties.Count == 0 ? null : JsonSerializer.Serialize(message.ApplicationProperties));
}

/// <summary>Executions of one function: how many, their summed wall time, and how long at least one was running.</summary>
internal sealed class FunctionMeter(string name)
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _active = new();
    private int _running;
    private long _executions;
    private long _wallTicks;
    private long _maxTicks;

    public string Name { get; } = name;

    public long Executions => Interlocked.Read(ref _executions);

    public double WallSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _wallTicks)).TotalSeconds;

    public double LongestSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks)).TotalSeconds;

    /// <summary>
    /// Seconds during which at least one execution of this function ran: what Flex Consumption bills one
    /// instance for (memory × time while executing, however many executions overlap).
    /// </summary>
    public double ActiveSeconds => _active.Elapsed.TotalSeconds;

    public async Task RunAsync(Func<Task> execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        lock (_gate)
        {
            if (_running++ == 0)
            {
                _active.Start();
            }
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await execution();
        }
        finally
        {
            var ticks = Stopwatch.GetElapsedTime(started).Ticks;
            Interlocked.Add(ref _wallTicks, ticks);
            Interlocked.Increment(ref _executions);
            long seen;
            while ((seen = Interlocked.Read(ref _maxTicks)) < ticks && Interlocked.CompareExchange(ref _maxTicks, ticks, seen) != seen)
            {
            }

            lock (_gate)
            {
                if (--_running == 0)
                {
                    _active.Stop();
                }
            }
        }
    }
}

/// <summary>
/// The Functions host's part, in process: takes messages from a queue and runs up to
/// <c>maxConcurrentCalls</c> executions of the function at once on one "instance" (host.json's
/// <c>extensions.serviceBus.maxConcurrentCalls</c>), counting the receive and complete operations the
/// Service Bus extension would make for each message.
/// </summary>
internal static class HostLoop
{
    public static async Task RunAsync(MemoryQueue queue, FunctionMeter meter, int maxConcurrentCalls, Func<QueuedMessage, Task> function, Action onDone, CancellationToken cancellationToken)
    {
        var workers = Enumerable.Range(0, maxConcurrentCalls).Select(async _ =>
        {
            await foreach (var message in queue.Reader.ReadAllAsync(cancellationToken))
            {
                queue.Host.RecordReceive(message.Body.Length);
                try
                {
                    await meter.RunAsync(() => function(message));
                    queue.Host.RecordComplete();
                }
                finally
                {
                    onDone();
                }
            }
        });
        await Task.WhenAll(workers);
    }
}
