using DaneScan.Contracts;

namespace DaneScan.ServiceBus.Tests;

/// <summary>The streaming split (names read from lists as they arrive) makes the same batches, and so the same MessageIds, as the in-memory one.</summary>
public sealed class StreamingSplitTests
{
    private static async IAsyncEnumerable<string> Stream(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            await Task.Yield();
            yield return name;
        }
    }

    [Fact]
    public async Task Streamed_names_make_the_same_batches_and_MessageIds_as_a_list()
    {
        var names = Enumerable.Range(0, 7_000).Select(i => $"{i}-{new string('b', i % 50)}.example").ToList();

        var fromList = ResolveBatchSplitter.Split("run-s", names, 4096).ToList();
        var streamed = new List<ResolveBatch>();
        await foreach (var batch in ResolveBatchSplitter.SplitAsync("run-s", Stream(names), 4096))
        {
            streamed.Add(batch);
        }

        Assert.True(fromList.Count > 10);
        Assert.Equal(fromList.Select(b => (b.BatchIndex, MessageIds.For(b))), streamed.Select(b => (b.BatchIndex, MessageIds.For(b))));
        Assert.Equal(names, streamed.SelectMany(b => b.Domains));
        Assert.All(streamed, b => Assert.True(ResolveBatchSplitter.MeasuredBytes(b) <= 4096));
    }
}
