using DaneScan.ServiceBus;

namespace DaneScan.Fleet;

/// <summary>The senders of the two work queues.</summary>
public sealed class QueueSenders(WorkQueueSender resolve, WorkQueueSender probe)
{
    public WorkQueueSender Resolve { get; } = resolve;

    public WorkQueueSender Probe { get; } = probe;
}
