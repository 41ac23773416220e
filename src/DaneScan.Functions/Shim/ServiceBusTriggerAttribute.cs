using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

// The namespace is the official package's, so that function code is the same in both builds and the
// switch -p:UseOfficialServiceBusExtension=true needs no source change.
namespace Microsoft.Azure.Functions.Worker;

/// <summary>
/// Offline stand-in for the official <c>ServiceBusTriggerAttribute</c> of
/// Microsoft.Azure.Functions.Worker.Extensions.ServiceBus, which this workplace's NuGet copy does not
/// serve. The Functions SDK turns any <see cref="TriggerBindingAttribute"/> named <c>XTriggerAttribute</c>
/// into a binding of type <c>xTrigger</c> and writes its public properties into functions.metadata, so this
/// class yields the same <c>serviceBusTrigger</c> entry (queueName, connection, isBatched → cardinality,
/// autoCompleteMessages) that the host's Service Bus extension reads. It deliberately has no
/// <c>[assembly: ExtensionInformation]</c>: the host's extension itself comes only from a build with
/// <c>-p:UseOfficialServiceBusExtension=true</c>, which removes this file. Only the queue form is provided;
/// bind to <c>string</c> or <c>byte[]</c> (the message body), which both builds support.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ServiceBusTriggerAttribute : TriggerBindingAttribute, ISupportCardinality
{
    private bool _isBatched;

    /// <summary>Triggers on messages of a queue; the name may be a <c>%setting%</c> expression.</summary>
    public ServiceBusTriggerAttribute(string queueName)
    {
        QueueName = queueName;
    }

    public string QueueName { get; }

    /// <summary>
    /// The app-setting prefix of the connection. With identity-based connections the host reads
    /// <c>{Connection}__fullyQualifiedNamespace</c>, <c>{Connection}__credential</c> and <c>{Connection}__clientId</c>.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>False: this project never uses sessions.</summary>
    public bool IsSessionsEnabled { get; set; }

    /// <summary>When true the host completes a message after a successful invocation and abandons it after a failed one.</summary>
    [DefaultValue(true)]
    public bool AutoCompleteMessages { get; set; } = true;

    /// <summary>Deliver an array of messages to one invocation (cardinality many).</summary>
    [DefaultValue(false)]
    public bool IsBatched
    {
        get => _isBatched;
        set => _isBatched = value;
    }

    Cardinality ISupportCardinality.Cardinality
    {
        get => _isBatched ? Cardinality.Many : Cardinality.One;
        set => _isBatched = value == Cardinality.Many;
    }
}
