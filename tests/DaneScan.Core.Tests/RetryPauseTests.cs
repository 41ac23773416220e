using DaneScan.Core;

namespace DaneScan.Core.Tests;

/// <summary>The retry pause: never shorter than asked by the wall clock, cancellable, and free when the delay is zero.</summary>
public sealed class RetryPauseTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    public async Task The_wall_clock_has_moved_at_least_the_delay_when_the_pause_ends(int milliseconds)
    {
        var delay = TimeSpan.FromMilliseconds(milliseconds);
        for (var i = 0; i < 20; i++)
        {
            var before = DateTimeOffset.UtcNow;
            await RetryPause.WaitAsync(delay);
            Assert.True(DateTimeOffset.UtcNow - before >= delay, $"pause {i} ended early");
        }
    }

    [Fact]
    public void A_zero_delay_completes_at_once()
    {
        Assert.True(RetryPause.WaitAsync(TimeSpan.Zero).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Cancelling_the_caller_ends_the_pause_with_cancellation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RetryPause.WaitAsync(TimeSpan.FromMinutes(5), cts.Token));
    }
}
