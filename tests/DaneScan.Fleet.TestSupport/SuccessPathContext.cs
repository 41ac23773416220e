using Microsoft.Azure.Functions.Worker;

namespace DaneScan.Functions.Testing;

/// <summary>
/// A mock of the Functions host's invocation context (the host cannot run here) for driving the function
/// shells on their success path: the trigger's binding data holds only the message's application properties
/// (given, or none); anything else throws.
/// Shared with the cost run (tests/DaneScan.Benchmarks), which drives the same shells.
/// </summary>
public sealed class SuccessPathContext(string invocationId, string? applicationProperties = null) : FunctionContext
{
    public override string InvocationId => invocationId;

    public override string FunctionId => invocationId;

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext { get; } = new TriggerData(applicationProperties is null
        ? new Dictionary<string, object?>()
        : new Dictionary<string, object?> { ["ApplicationProperties"] = applicationProperties });

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; } = null!;

    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();

    private sealed class TriggerData(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData => data;
    }
}
