using DaneScan.Contracts;
using DaneScan.ServiceBus;

namespace DaneScan.Fleet;

/// <summary>
/// Poison-message handling, defined once for the <c>Resolve</c> and <c>Probe</c> functions and for
/// <c>danescan worker</c>. A message is poison when its body cannot be decoded (<see cref="DeadLetterReasons"/>)
/// or a stage throws <see cref="PoisonMessageException"/> (a name that is not normalised, an address that is not
/// one). Both hosts log it once per delivery with its reason (<see cref="PoisonLog"/>) and hand it back to
/// Service Bus, which redelivers it and dead-letters it after the queue's max delivery count (5 in bicep/,
/// reason <c>MaxDeliveryCountExceeded</c>). The Functions host settles a message by the invocation's outcome
/// and offers no dead-letter call to the offline build, so handing it back is what both hosts can do alike;
/// the reason is in the log of every delivery.
/// </summary>
public static class PoisonMessages
{
    /// <summary>The reason of a <see cref="PoisonMessageException"/> thrown without one.</summary>
    public const string DefaultReason = "PoisonMessage";

    /// <summary>How every host settles a poison message.</summary>
    public const PoisonSettlement Settlement = PoisonSettlement.AbandonUntilMaxDeliveryCount;

    /// <summary>Whether a stage's exception marks the message as poison, and why; null for a failure worth a redelivery.</summary>
    public static DeadLetterDecision? Classify(Exception exception) =>
        exception is PoisonMessageException poison
            ? new DeadLetterDecision(poison.Reason ?? DefaultReason, poison.Message)
            : null;

    /// <summary>The poison exception for a body that could not be decoded.</summary>
    public static PoisonMessageException Undecodable(DecodeFailure failure, string? detail) =>
        new(DeadLetterReasons.For(failure), detail);
}
