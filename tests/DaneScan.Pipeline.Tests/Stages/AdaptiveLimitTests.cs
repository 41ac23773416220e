using DaneScan.Pipeline.Stages;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>The resolve stage's adaptive concurrency: slow start, halving on timeouts, then one step per window.</summary>
public class AdaptiveLimitTests
{
    [Fact]
    public async Task It_starts_low_doubles_while_clean_halves_once_per_burst_of_timeouts_then_grows_a_step_per_window()
    {
        var time = new FakeTimeProvider();
        using var limit = new AdaptiveLimit(maximum: 100, initial: 4, minimum: 2, timeProvider: time);

        // Slow start: each clean completion adds one.
        for (var i = 0; i < 4; i++)
        {
            await limit.WaitAsync();
            limit.Release(timedOut: false);
        }

        Assert.Equal(8, limit.Current);

        // A burst of timeouts within one cut interval halves it once.
        for (var i = 0; i < 3; i++)
        {
            await limit.WaitAsync();
            limit.Release(timedOut: true);
        }

        Assert.Equal(4, limit.Current);
        Assert.Equal(1, limit.Cuts);

        // After the cut: the first completions pay back the cut's permits, then one step per limit's worth of
        // clean completions (the first of these four repays the last permit owed, three count).
        for (var i = 0; i < 4; i++)
        {
            await limit.WaitAsync();
            limit.Release(timedOut: false);
        }

        Assert.Equal(4, limit.Current);
        await limit.WaitAsync();
        limit.Release(timedOut: false);
        Assert.Equal(5, limit.Current);

        // A later timeout, past the interval, halves again (not below the minimum).
        time.Advance(TimeSpan.FromSeconds(2));
        await limit.WaitAsync();
        limit.Release(timedOut: true);
        Assert.Equal(2, limit.Current);
    }

    [Fact]
    public async Task No_more_than_the_limit_are_let_through_at_once()
    {
        using var limit = new AdaptiveLimit(maximum: 10, initial: 3, minimum: 1);
        await limit.WaitAsync();
        await limit.WaitAsync();
        await limit.WaitAsync();

        var fourth = limit.WaitAsync();
        await Task.Delay(50);
        Assert.False(fourth.IsCompleted);

        limit.Release(timedOut: false); // gives two permits back (slow start): the fourth and one more
        await fourth;
        await limit.WaitAsync();
        Assert.Equal(4, limit.Current);
    }
}
