namespace DaneScan.Fleet;

/// <summary>
/// Thrown for a message that can never be processed. The host then abandons it, and Service Bus moves it to
/// the dead-letter queue after the queue's max delivery count (reason <c>MaxDeliveryCountExceeded</c>);
/// the real reason is in this exception's message and in the log. Immediate dead-lettering with our own
/// reason needs the official extension's message actions; the portable worker (`danescan worker`) dead-letters
/// it at once with <see cref="Reason"/>.
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
