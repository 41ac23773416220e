namespace DaneScan.Fleet;

/// <summary>
/// Thrown for a message that can never be processed. Every host handles it as <see cref="PoisonMessages"/>
/// defines: logged with <see cref="Reason"/>, abandoned, and moved by Service Bus to the dead-letter queue
/// after the queue's max delivery count (reason <c>MaxDeliveryCountExceeded</c>).
/// </summary>
public sealed class PoisonMessageException : Exception
{
    public PoisonMessageException()
    {
    }

    public PoisonMessageException(string message)
        : base(message)
    {
    }

    public PoisonMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PoisonMessageException(string reason, string? detail)
        : base($"{reason}: {detail}")
    {
        Reason = reason;
    }

    public string? Reason { get; }
}
