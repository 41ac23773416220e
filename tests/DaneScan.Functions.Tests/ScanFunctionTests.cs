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
        new ProbeRequestHandler(new UnreachableStages(), new WorkQueueSender(new UnusedSender())),
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

    public static TheoryData<string, string, string> PoisonBodies => new()
    {
        { WorkQueues.Resolve, "not json", DeadLetterReasons.MalformedJson },
        { WorkQueues.Resolve, """{"kind":"danescan.resolve-batch","v":2,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.UnknownSchemaVersion },
        { WorkQueues.Resolve, """{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["ok.example","A.Example"]}""", ResolveBatchHandler.InvalidDomainReason },
        { WorkQueues.Probe, """{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.WrongKind },
        { WorkQueues.Probe, """{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"mx.a.example"}""", DeadLetterReasons.InvalidContent },
    };

    /// <summary>
    /// One poison-message rule for both hosts (<see cref="PoisonMessages"/>): the function and the worker log the
    /// same line with the same reason, and both hand the message back (the function by throwing, which makes the
    /// host abandon it; the worker by abandoning it), so Service Bus dead-letters it after the max delivery count.
    /// </summary>
    [Theory]
    [MemberData(nameof(PoisonBodies))]
    public async Task The_function_and_the_worker_handle_a_poison_message_alike(string queue, string body, string reason)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);

        var functionLog = new PoisonLogRecorder();
        var functions = new ScanFunctions(
            new ResolveBatchHandler(new UnreachableStages(), new WorkQueueSender(new UnusedSender()), claims: null),
            new ProbeRequestHandler(new UnreachableStages(), new WorkQueueSender(new UnusedSender())),
            functionLog);
        var thrown = await Assert.ThrowsAsync<PoisonMessageException>(() => queue == WorkQueues.Resolve
            ? functions.ResolveAsync(bytes, new TriggerContext("m-9", 2), CancellationToken.None)
            : functions.ProbeAsync(bytes, new TriggerContext("m-9", 2), CancellationToken.None));

        var workerLog = new PoisonLogRecorder();
        var worker = new DaneScan.Fleet.Worker.WorkerHandlers(new UnreachableStages(), new UnreachableStages(), new WorkQueueSender(new UnusedSender()), loggers: new RecorderFactory(workerLog));
        var settler = new RecordingSettler();
        var message = ServiceBusModelFactory.ServiceBusReceivedMessage(body: new BinaryData(bytes), messageId: "m-9", deliveryCount: 2);
        var settled = queue == WorkQueues.Resolve ? await worker.HandleResolveAsync(message, settler) : await worker.HandleProbeAsync(message, settler);

        Assert.Equal(PoisonSettlement.AbandonUntilMaxDeliveryCount, PoisonMessages.Settlement);
        Assert.Equal(reason, thrown.Reason);
        Assert.Equal((Settlement.Abandoned, reason), (settled.Settlement, settled.DeadLetterReason));
        Assert.Equal(["abandon"], settler.Operations);
        var expected = $"Poison message m-9 (delivery 2): {reason}: ";
        Assert.StartsWith(expected, Assert.Single(functionLog.Lines), StringComparison.Ordinal);
        Assert.StartsWith(expected, Assert.Single(workerLog.Lines), StringComparison.Ordinal);
        Assert.Equal(functionLog.Lines, workerLog.Lines);
    }

    private sealed class RecordingSettler : IMessageSettler
    {
        public List<string> Operations { get; } = [];

        public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) => Record("complete");

        public Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken = default) => Record("deadletter");

        public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) => Record("abandon");

        private Task Record(string operation)
        {
            Operations.Add(operation);
            return Task.CompletedTask;
        }
    }

    /// <summary>Keeps the poison log lines (event 30) a host writes.</summary>
    private sealed class PoisonLogRecorder : Microsoft.Extensions.Logging.ILogger<ScanFunctions>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 30)
            {
                lock (Lines)
                {
                    Lines.Add(formatter(state, exception));
                }
            }
        }
    }

    private sealed class RecorderFactory(PoisonLogRecorder recorder) : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => recorder;

        public void Dispose()
        {
        }
    }

    private sealed class UnreachableStages : IResolveStage, IProbeStage
    {
        public Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("a poison message reached the resolve stage");

        public Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default) =>
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
