namespace DaneScan.Core;

/// <summary>The pause before a retry, guaranteed by the wall clock that stamps the attempts.</summary>
public static class RetryPause
{
    /// <summary>
    /// Waits at least <paramref name="delay"/> by the wall clock. A timer may fire a few milliseconds before its
    /// period (its clock is coarser than the one that stamps attempts), so any remainder is waited for again:
    /// two recorded attempts are then never closer than the delay a user configured.
    /// </summary>
    public static async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        var dueUtc = DateTimeOffset.UtcNow + delay;
        for (var remaining = delay; remaining > TimeSpan.Zero; remaining = dueUtc - DateTimeOffset.UtcNow)
        {
            await Task.Delay(remaining + TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
        }
    }
}
