namespace DaneScan.ServiceBus;

/// <summary>The queue names, shared by the Functions triggers, the portable worker and the Bicep templates.</summary>
public static class WorkQueues
{
    public const string Resolve = "resolve";
    public const string Probe = "probe";

    /// <summary>
    /// Service Bus Standard's limit for one message and for one batch of messages sent together (256 KB). The
    /// body budget below leaves room for the AMQP framing, system and application properties.
    /// </summary>
    public const int StandardMaxMessageBytes = 256 * 1024;

    /// <summary>Default budget for a serialised message body: 256 KB less 16 KiB for headers and properties.</summary>
    public const int DefaultBodyBudgetBytes = StandardMaxMessageBytes - (16 * 1024);
}
