using DaneScan.Pipeline.Ports;

namespace DaneScan.Pipeline.Tests.Ports;

public class ChannelWorkQueueTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Delivers_in_batches_and_ends_when_completed_and_settled()
    {
        var queue = new ChannelWorkQueue<string>("resolve");
        await queue.SendBatchAsync(["a", "b", "c"]);
        queue.CompleteAdding();

        var first = await queue.ReceiveBatchAsync(2).WaitAsync(Hang);
        Assert.Equal(["a", "b"], first.Select(i => i.Message));
        var second = await queue.ReceiveBatchAsync(2).WaitAsync(Hang);
        Assert.Equal(["c"], second.Select(i => i.Message));

        // Not settled yet: a receiver still waits (an abandon could bring a message back).
        var waiting = queue.ReceiveBatchAsync(2);
        Assert.False(waiting.IsCompleted);
        foreach (var item in first.Concat(second))
        {
            await queue.CompleteAsync(item);
        }

        Assert.Empty(await waiting.WaitAsync(Hang));
        Assert.Equal(0, queue.Pending);
    }

    [Fact]
    public async Task Abandoned_messages_come_back_then_dead_letter_after_the_max_delivery_count()
    {
        var queue = new ChannelWorkQueue<string>("probe", maxDeliveryCount: 3);
        await queue.SendBatchAsync(["poison"]);
        queue.CompleteAdding();
        var counts = new List<int>();
        while (true)
        {
            var batch = await queue.ReceiveBatchAsync(10).WaitAsync(Hang);
            if (batch.Count == 0)
            {
                break;
            }

            counts.Add(batch[0].DeliveryCount);
            await queue.AbandonAsync(batch[0]);
        }

        Assert.Equal([1, 2, 3], counts);
        var dead = Assert.Single(queue.DeadLetters);
        Assert.Equal("poison", dead.Message);
        Assert.Equal("MaxDeliveryCountExceeded", dead.Reason);
    }
}
