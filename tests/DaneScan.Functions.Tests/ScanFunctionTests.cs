using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Functions.Stages;
using DaneScan.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The resolve and probe shells' handling of messages that can never be processed. The Functions host and
/// Service Bus are mocked (a FunctionContext carrying the trigger's binding data; a sender that must not be
/// used): neither can run here. The stage services are not exercised: they fail the test if reached.
/// </summary>
public sealed class ScanFunctionTests
{
    private static readonly ScanFunctions Functions = new(
        new ResolveBatchHandler(new UnreachableStages(), new WorkQueueSender(new UnusedSender()), claims: null),
        new UnreachableStages(),
        NullLogger<ScanFunctions>.Instance);

    [Theory]
    [InlineData("not json", DeadLetterReasons.MalformedJson)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":2,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.UnknownSchemaVersion)]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"127.0.0.1"}""", DeadLetterReasons.WrongKind)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":[]}""", DeadLetterReasons.InvalidContent)]
    public async Task A_poison_resolve_message_fails_the_invocation_with_its_reason_and_reaches_no_stage(string body, string reason)
    {
        var ex = await Assert.ThrowsAsync<PoisonMessageException>(() => Functions.ResolveAsync(System.Text.Encoding.UTF8.GetBytes(body), new TriggerContext("m-1", 1), CancellationToken.None));
        Assert.Equal(reason, ex.Reason);
        Assert.StartsWith(reason + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A.Example")]
    [InlineData("a.example.")]
    [InlineData("-bad-.example")]
    [InlineData("xn--bcher-kva.example\u0000")]
    public async Task A_resolve_batch_with_a_name_that_is_not_normalised_is_poison_and_reaches_no_stage(string name)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($$"""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["ok.example",{{System.Text.Json.JsonSerializer.Serialize(name)}}]}""");
        var ex = await Assert.ThrowsAsync<PoisonMessageException>(() => Functions.ResolveAsync(body, new TriggerContext("m-3", 1), CancellationToken.None));
        Assert.Equal(ResolveBatchHandler.InvalidDomainReason, ex.Reason);
        Assert.Contains("domains[1]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"kind":"danescan.probe-request","v":3,"runId":"r","host":"mx.a.example","address":"127.0.0.1"}""", DeadLetterReasons.UnknownSchemaVersion)]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"mx.a.example"}""", DeadLetterReasons.InvalidContent)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.WrongKind)]
    public async Task A_poison_probe_message_fails_the_invocation_with_its_reason_and_reaches_no_stage(string body, string reason)
    {
        var ex = await Assert.ThrowsAsync<PoisonMessageException>(() => Functions.ProbeAsync(System.Text.Encoding.UTF8.GetBytes(body), new TriggerContext("m-2", 4), CancellationToken.None));
        Assert.Equal(reason, ex.Reason);
    }

    private sealed class UnreachableStages : IResolveStage, IProbeStage
    {
        public Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("a poison message reached the resolve stage");

        public Task ProbeAsync(ProbeRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("a poison message reached the probe stage");
    }

    private sealed class UnusedSender : ServiceBusSender
    {
        public override string EntityPath => "unused";

        public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("nothing may be sent for a poison message");
    }

    // Mocks of the Functions host's invocation context: only the trigger's binding data is real.
    private sealed class TriggerContext(string messageId, int deliveryCount) : FunctionContext
    {
        public override string InvocationId => "test";

        public override string FunctionId => "test";

        public override TraceContext TraceContext => throw new NotSupportedException();

        public override BindingContext BindingContext { get; } = new Bindings(new Dictionary<string, object?> { ["MessageId"] = messageId, ["DeliveryCount"] = deliveryCount });

        public override RetryContext RetryContext => throw new NotSupportedException();

        public override IServiceProvider InstanceServices { get; set; } = null!;

        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

        public override IInvocationFeatures Features => throw new NotSupportedException();
    }

    private sealed class Bindings(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData => data;
    }
}
