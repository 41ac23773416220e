using System.Text;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;

namespace DaneScan.ServiceBus.Tests;

// Settlement against a recording ServiceBusReceiver and messages made by ServiceBusModelFactory: a mock of
// Service Bus, which cannot run here. The real broker's lock, redelivery and dead-letter queue are not exercised.
public sealed class SettlementTests
{
    private static ServiceBusReceivedMessage Received(string body, string id = "m-1", int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString(body), messageId: id, deliveryCount: deliveryCount);

    private static async Task<(ProcessResult Result, RecordingReceiver Receiver, List<ResolveBatch> Handled)> ProcessResolve(string body, Func<ResolveBatch, Task>? handler = null)
    {
        var receiver = new RecordingReceiver();
        var handled = new List<ResolveBatch>();
        var result = await new WorkItemProcessor().ProcessResolveBatchAsync(Received(body), new ReceiverSettler(receiver), async (batch, _) =>
        {
            handled.Add(batch);
            if (handler is not null)
            {
                await handler(batch);
            }
        }, CancellationToken.None);
        return (result, receiver, handled);
    }

    [Fact]
    public async Task A_valid_batch_is_handled_once_and_completed()
    {
        var body = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ResolveBatch { RunId = "run-1", Domains = ["a.example", "b.example"] }));
        var (result, receiver, handled) = await ProcessResolve(body);

        Assert.Equal(Settlement.Completed, result.Settlement);
        var batch = Assert.Single(handled);
        Assert.Equal(["a.example", "b.example"], batch.Domains);
        Assert.Equal([("complete", "m-1", (string?)null, (string?)null)], receiver.Calls);
    }

    [Theory]
    [InlineData("not json at all", DeadLetterReasons.MalformedJson)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["a.example"]""", DeadLetterReasons.MalformedJson)]
    [InlineData("""["danescan.resolve-batch"]""", DeadLetterReasons.MalformedJson)]
    [InlineData("""{"v":1,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.MalformedJson)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"domains":["a.example"]}""", DeadLetterReasons.MalformedJson)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":2,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.UnknownSchemaVersion)]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx","address":"127.0.0.1"}""", DeadLetterReasons.WrongKind)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":[]}""", DeadLetterReasons.InvalidContent)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"","domains":["a.example"]}""", DeadLetterReasons.InvalidContent)]
    public async Task A_poison_message_is_dead_lettered_at_once_with_its_reason_and_never_handled(string body, string reason)
    {
        var (result, receiver, handled) = await ProcessResolve(body);

        Assert.Empty(handled);
        Assert.Equal(Settlement.DeadLettered, result.Settlement);
        var call = Assert.Single(receiver.Calls);
        Assert.Equal("deadletter", call.Operation);
        Assert.Equal(reason, call.Reason);
        Assert.False(string.IsNullOrWhiteSpace(call.Description));
        Assert.True(call.Description!.Length <= WorkItemProcessor.MaxDescriptionChars);
    }

    [Fact]
    public async Task The_unknown_version_reason_names_the_version()
    {
        var (result, _, _) = await ProcessResolve("""{"kind":"danescan.resolve-batch","v":7,"runId":"r","domains":["a.example"]}""");
        Assert.Contains("7", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_handler_abandons_the_message_for_redelivery_instead_of_completing_it()
    {
        var body = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ResolveBatch { RunId = "run-1", Domains = ["a.example"] }));
        var (result, receiver, handled) = await ProcessResolve(body, _ => throw new TimeoutException("table write timed out"));

        Assert.Single(handled);
        Assert.Equal(Settlement.Abandoned, result.Settlement);
        Assert.Equal("table write timed out", result.Detail);
        Assert.Equal("abandon", Assert.Single(receiver.Calls).Operation);
    }

    [Fact]
    public async Task Cancellation_is_not_turned_into_a_settlement()
    {
        using var cts = new CancellationTokenSource();
        var receiver = new RecordingReceiver();
        var body = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ResolveBatch { RunId = "run-1", Domains = ["a.example"] }));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new WorkItemProcessor().ProcessResolveBatchAsync(Received(body), new ReceiverSettler(receiver), async (_, ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
        }, cts.Token));
        Assert.Empty(receiver.Calls);
    }

    [Theory]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"127.0.0.9","sni":"mx.a.example"}""", null)]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"not-an-ip"}""", DeadLetterReasons.InvalidContent)]
    [InlineData("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"127.0.0.9","port":70000}""", DeadLetterReasons.InvalidContent)]
    [InlineData("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","domains":["a.example"]}""", DeadLetterReasons.WrongKind)]
    [InlineData("""{"kind":"danescan.probe-request","v":"1","runId":"r","host":"mx","address":"127.0.0.9"}""", DeadLetterReasons.MalformedJson)]
    public async Task Probe_requests_are_settled_by_the_same_rules(string body, string? reason)
    {
        var receiver = new RecordingReceiver();
        ProbeRequest? handled = null;
        var result = await new WorkItemProcessor().ProcessProbeRequestAsync(Received(body, "p-1"), new ReceiverSettler(receiver), (p, _) =>
        {
            handled = p;
            return Task.CompletedTask;
        }, CancellationToken.None);

        if (reason is null)
        {
            Assert.Equal(Settlement.Completed, result.Settlement);
            Assert.Equal("127.0.0.9", handled!.Address);
            Assert.Equal(25, handled.Port);
        }
        else
        {
            Assert.Null(handled);
            Assert.Equal(reason, Assert.Single(receiver.Calls).Reason);
        }
    }

    [Fact]
    public async Task A_processor_event_settles_through_its_receiver()
    {
        var receiver = new RecordingReceiver();
        var body = WorkMessageCodec.Encode(new ProbeRequest { RunId = "r", Host = "mx.a.example", Address = "::1" });
        var message = ServiceBusModelFactory.ServiceBusReceivedMessage(body: new BinaryData(body), messageId: "p-2");
        var args = new ProcessMessageEventArgs(message, receiver, CancellationToken.None);

        var result = await new WorkItemProcessor().ProcessProbeRequestAsync(message, new ProcessorSettler(args), (_, _) => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(Settlement.Completed, result.Settlement);
        Assert.Equal(("complete", "p-2", (string?)null, (string?)null), Assert.Single(receiver.Calls));
    }
}
