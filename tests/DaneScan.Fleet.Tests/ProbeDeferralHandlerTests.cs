using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Fleet.Worker;
using DaneScan.Pipeline.Politeness;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// The worker's probe handler around a stage that defers: the request is scheduled back before the received
/// message is completed, the count travels in the message and reaches the stage on the next delivery, and each
/// re-send has its own MessageId. The stage is a test double that defers the first two deliveries (what is under
/// test is the handler and its settlement; the hot-address and lab tests run the real stage). Service Bus cannot
/// run here, so it is mocked: messages made with <see cref="ServiceBusModelFactory"/>, a recording receiver and
/// a recording sender.
/// </summary>
public sealed class ProbeDeferralHandlerTests
{
    [Fact]
    public async Task A_deferred_request_is_scheduled_then_completed_and_comes_back_with_its_count()
    {
        var stage = new DeferringStage(deferFirst: 2, TimeSpan.FromSeconds(3));
        var queue = new RecordingSender(WorkQueues.Probe);
        var settled = new RecordingReceiver();
        queue.OnScheduled = (m, _) => settled.Calls.Add(("schedule", m.MessageId, null, null));
        var handlers = new WorkerHandlers(new NoResolveStage(), stage, new WorkQueueSender(queue));
        var request = new ProbeRequest { RunId = "r1", Host = "mx.example", Address = "192.0.2.1", Sni = "mx.example" };
        var original = WorkQueueSender.ToMessage(request);

        var before = DateTimeOffset.UtcNow;
        var message = Delivered.From(original);
        for (var delivery = 0; delivery < 3; delivery++)
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(message, new ReceiverSettler(settled))).Settlement);
            if (delivery < 2)
            {
                message = Delivered.From(queue.Scheduled[delivery].Message);
            }
        }

        // The stage saw the count of deferrals before each delivery: 0, then 1 and 2 from the messages' property.
        Assert.Equal([0, 1, 2], stage.Seen);
        var ids = new[] { original.MessageId, original.MessageId + "-d1", original.MessageId + "-d2" };
        Assert.Equal(
            [("schedule", ids[1]), ("complete", ids[0]), ("schedule", ids[2]), ("complete", ids[1]), ("complete", ids[2])],
            settled.Calls.Select(c => (c.Operation, c.MessageId)));
        Assert.All(queue.Scheduled, s => Assert.InRange(s.At, before + TimeSpan.FromSeconds(3), DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3)));
        Assert.Equal((2L, 0L, 3L), (handlers.Counters.ProbesDeferred, handlers.Counters.ProbesWaited, handlers.Counters.Probe.Completed));
    }

    [Fact]
    public async Task The_due_time_is_reckoned_on_the_handlers_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var queue = new RecordingSender(WorkQueues.Probe);
        var handler = new ProbeRequestHandler(new DeferringStage(deferFirst: 1, TimeSpan.FromMilliseconds(1500)), new WorkQueueSender(queue), time);
        var request = new ProbeRequest { RunId = "r1", Host = "mx.example", Address = "192.0.2.1", Sni = "mx.example" };

        var result = await handler.HandleAsync(request, 0);

        Assert.Equal((TimeSpan.FromMilliseconds(1500), DeferralReason.AddressBusy), (result.Deferred, result.Reason));
        var (message, at) = Assert.Single(queue.Scheduled);
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T12:00:01.5Z", System.Globalization.CultureInfo.InvariantCulture), at);
        Assert.Equal(1, message.ApplicationProperties[ProbeDeferrals.CountProperty]);
    }

    private sealed class DeferringStage(int deferFirst, TimeSpan wait) : IProbeStage
    {
        public List<int> Seen { get; } = [];

        public Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default)
        {
            Seen.Add(deferrals);
            return Task.FromResult(Seen.Count <= deferFirst ? new ProbeStageResult(wait, DeferralReason.AddressBusy) : ProbeStageResult.Done);
        }
    }

    private sealed class NoResolveStage : IResolveStage
    {
        public Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("this test sends no resolve batch");
    }
}
