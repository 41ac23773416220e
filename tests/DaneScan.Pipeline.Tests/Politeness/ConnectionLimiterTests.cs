using System.Net;
using DaneScan.Pipeline.Politeness;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Pipeline.Tests.Politeness;

/// <summary>
/// Ordering and exclusion with a fake clock: nothing here depends on how fast the machine is. A wait
/// that must happen is observed as a timer the limiter registers on the fake clock.
/// </summary>
public class ConnectionLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress C = IPAddress.Parse("192.0.2.3");

    /// <summary>Guards the test against hanging forever on a bug; not a timing assertion.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private sealed class SignallingTimeProvider : FakeTimeProvider
    {
        private readonly SemaphoreSlim _timers = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Release();
            return timer;
        }

        public Task<bool> WaitForTimerAsync() => _timers.WaitAsync(Hang);
    }

    [Fact]
    public async Task One_connection_at_a_time_per_address_and_the_interval_after_it()
    {
        var time = new SignallingTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MaxConcurrentConnections = 10, MinIntervalPerAddress = TimeSpan.FromSeconds(5) }, time);

        var first = await limiter.AcquireAsync(A).WaitAsync(Hang);
        var second = limiter.AcquireAsync(A);
        var other = await limiter.AcquireAsync(B).WaitAsync(Hang); // another address is not held up
        Assert.False(second.IsCompleted);

        first.Dispose();
        Assert.True(await time.WaitForTimerAsync()); // the second now waits for the interval, on the clock
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        using var lease = await second.WaitAsync(Hang);
        Assert.Equal(A, lease.Address);
        other.Dispose();
    }

    [Fact]
    public async Task No_wait_when_the_interval_has_passed()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.FromSeconds(5) }, time);
        (await limiter.AcquireAsync(A)).Dispose();
        time.Advance(TimeSpan.FromSeconds(5));
        var again = limiter.AcquireAsync(A);
        Assert.True(again.IsCompletedSuccessfully);
        (await again).Dispose();
    }

    [Fact]
    public async Task Global_cap_holds_back_new_addresses_until_a_connection_closes()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MaxConcurrentConnections = 2, MinIntervalPerAddress = TimeSpan.Zero }, time);
        var a = await limiter.AcquireAsync(A);
        var b = await limiter.AcquireAsync(B);
        var c = limiter.AcquireAsync(C);
        Assert.False(c.IsCompleted);
        Assert.Equal(2, limiter.OpenConnections);

        b.Dispose();
        using var leaseC = await c.WaitAsync(Hang);
        Assert.Equal(C, leaseC.Address);
        Assert.Equal(2, limiter.OpenConnections);
        a.Dispose();
        Assert.Equal(1, limiter.OpenConnections);
    }

    [Fact]
    public async Task Waiters_for_one_address_are_served_in_arrival_order()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero }, time);
        var order = new List<int>();
        var holder = await limiter.AcquireAsync(A);
        var waiters = Enumerable.Range(1, 5).Select(async i =>
        {
            using var lease = await limiter.AcquireAsync(A);
            lock (order)
            {
                order.Add(i);
            }
        }).ToList();
        holder.Dispose();
        await Task.WhenAll(waiters).WaitAsync(Hang);
        Assert.Equal([1, 2, 3, 4, 5], order);
    }

    [Fact]
    public async Task Cancelling_a_waiter_leaves_the_address_usable()
    {
        var time = new SignallingTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.FromSeconds(5) }, time);
        var holder = await limiter.AcquireAsync(A);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(A, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Hang));

        // Cancelled during the interval wait, too.
        holder.Dispose();
        using var cts2 = new CancellationTokenSource();
        var duringInterval = limiter.AcquireAsync(A, cts2.Token);
        Assert.True(await time.WaitForTimerAsync());
        await cts2.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => duringInterval.WaitAsync(Hang));

        Assert.Equal(0, limiter.OpenConnections);
        time.Advance(TimeSpan.FromSeconds(5));
        using var next = await limiter.AcquireAsync(A).WaitAsync(Hang);
        Assert.Equal(1, limiter.OpenConnections);
    }

    [Fact]
    public async Task Idle_addresses_are_pruned_as_the_table_grows()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.FromSeconds(1) }, time);
        for (var i = 0; i < 3000; i++)
        {
            (await limiter.AcquireAsync(new IPAddress(0x0A000000u + (uint)i))).Dispose();
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.True(limiter.TrackedAddresses < 2048, $"tracked {limiter.TrackedAddresses}");
    }
}
