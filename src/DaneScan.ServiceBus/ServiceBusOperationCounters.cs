namespace DaneScan.ServiceBus;

/// <summary>
/// Counts the Service Bus requests one side of a queue makes, both as API calls and as the operations the
/// Standard tier bills. Azure's Service Bus pricing FAQ: every API call is an operation; a send, receive or
/// delete of a message up to 64 KB is one operation and a bigger one counts in multiples of 64 KB; reading a
/// message with a lock and then completing or abandoning it is two operations. How a batch of messages sent in
/// one call is metered is not spelled out there, so both readings are kept: <see cref="SendCalls"/> (one
/// operation per call) and <see cref="BilledSendOperations"/> (one per message and 64 KB, the higher figure,
/// which cost estimates use). Thread-safe.
/// </summary>
public sealed class ServiceBusOperationCounters
{
    /// <summary>The unit of message size the operations meter counts in.</summary>
    public const int BillingUnitBytes = 64 * 1024;

    private long _sendCalls;
    private long _messagesSent;
    private long _bytesSent;
    private long _billedSends;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _billedReceives;
    private long _completes;
    private long _abandons;
    private long _deadLetters;

    /// <summary>Send API calls (one per batch sent).</summary>
    public long SendCalls => Interlocked.Read(ref _sendCalls);

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>Message bodies sent, in bytes (headers and properties not included).</summary>
    public long BodyBytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Sent messages in 64 KB units: each message counts at least once.</summary>
    public long BilledSendOperations => Interlocked.Read(ref _billedSends);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long BodyBytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Received messages in 64 KB units.</summary>
    public long BilledReceiveOperations => Interlocked.Read(ref _billedReceives);

    public long Completes => Interlocked.Read(ref _completes);

    public long Abandons => Interlocked.Read(ref _abandons);

    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    /// <summary>Every billed operation: sends and receives in 64 KB units, and one per settlement.</summary>
    public long BilledOperations => BilledSendOperations + BilledReceiveOperations + Completes + Abandons + DeadLetters;

    /// <summary>Operations one message of this body size is billed as (at least one).</summary>
    public static long Units(long bodyBytes) => Math.Max(1, (bodyBytes + BillingUnitBytes - 1) / BillingUnitBytes);

    /// <summary>Records one send call carrying messages of these body sizes.</summary>
    public void RecordSend(IReadOnlyCollection<int> bodySizes)
    {
        ArgumentNullException.ThrowIfNull(bodySizes);
        Interlocked.Increment(ref _sendCalls);
        Interlocked.Add(ref _messagesSent, bodySizes.Count);
        foreach (var size in bodySizes)
        {
            Interlocked.Add(ref _bytesSent, size);
            Interlocked.Add(ref _billedSends, Units(size));
        }
    }

    /// <summary>Records one message received (peek-lock).</summary>
    public void RecordReceive(long bodyBytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, bodyBytes);
        Interlocked.Add(ref _billedReceives, Units(bodyBytes));
    }

    public void RecordComplete() => Interlocked.Increment(ref _completes);

    public void RecordAbandon() => Interlocked.Increment(ref _abandons);

    public void RecordDeadLetter() => Interlocked.Increment(ref _deadLetters);
}
