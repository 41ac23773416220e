using Azure.Messaging.ServiceBus;

namespace DaneScan.ServiceBus.Testing;

// Service Bus itself cannot run here (no emulator without Docker, no network to Azure), so tests use
// stand-ins for it: a ServiceBusSender and a ServiceBusReceiver subclass that record what the adapter asks
// of them, and message batches made by the SDK's own ServiceBusModelFactory with a size rule like the
// service's. What they cannot show: the broker's real size accounting, locks, redelivery, duplicate detection.

/// <summary>Records the batches sent; batches hold up to <see cref="MaxBatchBytes"/> of message bodies.</summary>
public sealed class RecordingSender(string queue, long maxBatchBytes = WorkQueues.StandardMaxMessageBytes) : ServiceBusSender
{
    public long MaxBatchBytes { get; } = maxBatchBytes;

    public List<List<ServiceBusMessage>> SentBatches { get; } = [];

    public override string EntityPath => queue;

    public bool Closed { get; private set; }

    public override Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Closed = true;
        return Task.CompletedTask;
    }

    public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default)
    {
        var store = new List<ServiceBusMessage>();
        long size = 0;
        var batch = ServiceBusModelFactory.ServiceBusMessageBatch(MaxBatchBytes, store, new CreateMessageBatchOptions(), m =>
        {
            // A rough stand-in for the AMQP encoding: the body plus a fixed allowance for headers.
            var add = m.Body.ToMemory().Length + 512;
            if (size + add > MaxBatchBytes)
            {
                return false;
            }

            // The factory's batch adds the message to the store itself when this returns true.
            size += add;
            return true;
        });
        _stores[batch] = store;
        return ValueTask.FromResult(batch);
    }

    private readonly Dictionary<ServiceBusMessageBatch, List<ServiceBusMessage>> _stores = [];

    public override Task SendMessagesAsync(ServiceBusMessageBatch messageBatch, CancellationToken cancellationToken = default)
    {
        SentBatches.Add([.. _stores[messageBatch]]);
        return Task.CompletedTask;
    }

    /// <summary>Messages scheduled (<see cref="ServiceBusSender.ScheduleMessageAsync(ServiceBusMessage, DateTimeOffset, CancellationToken)"/>), with their due times, in order.</summary>
    public List<(ServiceBusMessage Message, DateTimeOffset At)> Scheduled { get; } = [];

    /// <summary>Called with each message as it is scheduled (a test's stand-in broker delivers it when due).</summary>
    public Action<ServiceBusMessage, DateTimeOffset>? OnScheduled { get; set; }

    public override Task<long> ScheduleMessageAsync(ServiceBusMessage message, DateTimeOffset scheduledEnqueueTime, CancellationToken cancellationToken = default)
    {
        long sequence;
        lock (Scheduled)
        {
            Scheduled.Add((message, scheduledEnqueueTime));
            sequence = Scheduled.Count;
        }

        OnScheduled?.Invoke(message, scheduledEnqueueTime);
        return Task.FromResult(sequence);
    }
}

/// <summary>Records settlement calls made against received messages.</summary>
public sealed class RecordingReceiver : ServiceBusReceiver
{
    public List<(string Operation, string MessageId, string? Reason, string? Description)> Calls { get; } = [];

    public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
    {
        Calls.Add(("complete", message.MessageId, null, null));
        return Task.CompletedTask;
    }

    public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
    {
        Calls.Add(("deadletter", message.MessageId, deadLetterReason, deadLetterErrorDescription));
        return Task.CompletedTask;
    }

    public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
    {
        Calls.Add(("abandon", message.MessageId, null, null));
        return Task.CompletedTask;
    }
}
