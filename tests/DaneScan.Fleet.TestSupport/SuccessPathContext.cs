using Microsoft.Azure.Functions.Worker;

namespace DaneScan.Functions.Testing;

/// <summary>
/// A mock of the Functions host's invocation context (the host cannot run here) for driving the function
/// shells on their success path, where they do not read it; anything the poison path would read throws.
/// Shared with the cost run (tests/DaneScan.Benchmarks), which drives the same shells.
/// </summary>
public sealed class SuccessPathContext(string invocationId) : FunctionContext
{
    public override string InvocationId => invocationId;

    public override string FunctionId => invocationId;

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext => throw new NotSupportedException();

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; } = null!;

    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();
}
