using DaneScan.Contracts;

namespace DaneScan.ServiceBus.Tests;

/// <summary>
/// How a deferred probe request goes back to the queue. Service Bus cannot run here, so the sender is a
/// recording stand-in (it cannot show the broker's duplicate detection, which is why the ids are checked here).
/// </summary>
public sealed class ProbeDeferralTests
{
    private static readonly ProbeRequest Request = new() { RunId = "r1", Host = "mx.example", Address = "192.0.2.1", Sni = "mx.example" };

    [Fact]
    public async Task A_deferred_request_is_scheduled_with_its_body_properties_count_and_an_id_of_its_own()
    {
        var queue = new RecordingSender(WorkQueues.Probe);
        var sender = new WorkQueueSender(queue);
        var at = DateTimeOffset.Parse("2026-03-01T00:00:05Z", System.Globalization.CultureInfo.InvariantCulture);

        await sender.ScheduleDeferredProbeRequestAsync(Request, 2, at);

        var original = WorkQueueSender.ToMessage(Request);
        var (message, due) = Assert.Single(queue.Scheduled);
        Assert.Equal(at, due);
        Assert.Equal(original.Body.ToArray(), message.Body.ToArray());
        Assert.Equal((original.Subject, original.CorrelationId, original.ContentType), (message.Subject, message.CorrelationId, message.ContentType));
        Assert.Equal(original.ApplicationProperties["v"], message.ApplicationProperties["v"]);
        Assert.Equal(original.ApplicationProperties["runId"], message.ApplicationProperties["runId"]);
        Assert.Equal(2, message.ApplicationProperties[ProbeDeferrals.CountProperty]);

        // Not the original id: duplicate detection would drop the re-send. Each re-send has its own, and the
        // same re-send made twice (a delivery that died after scheduling) has the same one.
        Assert.Equal(MessageIds.For(Request) + "-d2", message.MessageId);
        Assert.NotEqual(ProbeDeferrals.MessageId(Request, 1), ProbeDeferrals.MessageId(Request, 2));
        Assert.Equal(ProbeDeferrals.MessageId(Request, 2), WorkQueueSender.ToDeferredMessage(Request, 2).MessageId);
        Assert.InRange(message.MessageId.Length, 1, 128); // Service Bus's MessageId limit
        Assert.Equal((1L, 1L), (sender.Counters.MessagesSent, sender.Counters.SendCalls));
        Assert.Empty(queue.SentBatches);
    }

    [Fact]
    public void A_re_send_counts_at_least_one_deferral()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkQueueSender.ToDeferredMessage(Request, 0));
    }

    [Fact]
    public void The_count_is_read_from_a_received_message_and_from_the_functions_binding_data()
    {
        Assert.Equal(0, ProbeDeferrals.Count(null));
        Assert.Equal(0, ProbeDeferrals.Count(new Dictionary<string, object> { ["v"] = 1 }));
        Assert.Equal(3, ProbeDeferrals.Count(new Dictionary<string, object> { [ProbeDeferrals.CountProperty] = 3 }));
        Assert.Equal(3, ProbeDeferrals.Count(new Dictionary<string, object> { [ProbeDeferrals.CountProperty] = 3L }));
        Assert.Equal(0, ProbeDeferrals.Count(new Dictionary<string, object> { [ProbeDeferrals.CountProperty] = -4 }));

        Assert.Equal(0, ProbeDeferrals.CountFromJson(null));
        Assert.Equal(0, ProbeDeferrals.CountFromJson("""{"v":1,"runId":"r1"}"""));
        Assert.Equal(4, ProbeDeferrals.CountFromJson("""{"v":1,"runId":"r1","deferrals":4}"""));
        Assert.Equal(4, ProbeDeferrals.CountFromJson("""{"deferrals":"4"}"""));
        Assert.Equal(0, ProbeDeferrals.CountFromJson("""{"deferrals":"many"}"""));
        Assert.Equal(0, ProbeDeferrals.CountFromJson("not json"));
        Assert.Equal(0, ProbeDeferrals.CountFromJson("[1,2]"));
    }
}
