using System.Net;
using DaneScan.Pipeline.Politeness;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Pipeline.Tests.Politeness;

/// <summary>
/// The limiter's non-blocking way in (<see cref="ConnectionLimiter.TryAcquire"/>), on a fake clock: every branch
/// (lease, interval not passed, address busy, global cap full), the booking of successive slots, and the state it
/// shares with the waiting <see cref="ConnectionLimiter.AcquireAsync"/>. Expected waits follow from the limits
/// (interval I = 5 s): the time left of I after the last connection's end, or one step (I plus the last
/// connection's duration) per request already told a slot.
/// </summary>
public class TryAcquireTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");
    private static readonly TimeSpan I = TimeSpan.FromSeconds(5);
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

    private static ConnectionLimiter Limiter(FakeTimeProvider time, int global = 10, TimeSpan? interval = null) =>
        new(new ConnectionLimits { MaxConcurrentConnections = global, MinIntervalPerAddress = interval ?? I }, time);

    [Fact]
    public void A_free_address_gets_a_lease_at_once()
    {
        using var limiter = Limiter(new FakeTimeProvider());
        var attempt = limiter.TryAcquire(A);
        Assert.False(attempt.Deferred);
        Assert.Equal((DeferralReason.None, TimeSpan.Zero), (attempt.Reason, attempt.RetryAfter));
        Assert.Equal(A, attempt.Lease!.Address);
        Assert.Equal(1, limiter.OpenConnections);
        attempt.Lease.Dispose();
        Assert.Equal(0, limiter.OpenConnections);
    }

    [Fact]
    public void Before_the_interval_has_passed_it_says_exactly_when_it_will_have()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time);
        limiter.TryAcquire(A).Lease!.Dispose();
        time.Advance(TimeSpan.FromSeconds(2));

        var early = limiter.TryAcquire(A, deferredBefore: true);
        Assert.True(early.Deferred);
        Assert.Equal((DeferralReason.Interval, TimeSpan.FromSeconds(3)), (early.Reason, early.RetryAfter));
        Assert.Equal(0, limiter.OpenConnections);

        // Another address is not held up, and A is free once its interval has passed.
        using (limiter.TryAcquire(B).Lease)
        {
        }

        time.Advance(TimeSpan.FromSeconds(3));
        var due = limiter.TryAcquire(A, deferredBefore: true);
        Assert.False(due.Deferred);
        due.Lease!.Dispose();
    }

    [Fact]
    public void A_busy_address_books_successive_slots_one_step_apart()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time);
        using var held = limiter.TryAcquire(A).Lease!;

        // No connection to A has ended yet: a step is the interval alone.
        var waits = Enumerable.Range(0, 4).Select(_ => limiter.TryAcquire(A)).ToList();
        Assert.All(waits, w => Assert.Equal(DeferralReason.AddressBusy, w.Reason));
        Assert.Equal([I, 2 * I, 3 * I, 4 * I], waits.Select(w => w.RetryAfter));
        Assert.Equal(1, limiter.OpenConnections);
    }

    [Fact]
    public void A_request_coming_back_early_is_told_the_earliest_free_time_not_a_new_slot_after_the_others()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time);
        var held = limiter.TryAcquire(A).Lease!;
        Assert.Equal(I, limiter.TryAcquire(A).RetryAfter);
        Assert.Equal(2 * I, limiter.TryAcquire(A).RetryAfter);

        // The first booked request comes back at its slot, but the connection before it lasted 4 s: it ended
        // 1 s ago, so A is free in 4 s. It is told that, and the slot booked after it stays where it is.
        time.Advance(TimeSpan.FromSeconds(4));
        held.Dispose();
        time.Advance(TimeSpan.FromSeconds(1));
        var back = limiter.TryAcquire(A, deferredBefore: true);
        Assert.Equal((DeferralReason.Interval, TimeSpan.FromSeconds(4)), (back.Reason, back.RetryAfter));

        // A new request is booked one step after the last slot told out (10 s from the start); a step now counts
        // the last connection's 4 s: 10 + 5 + 4 = 19 s from the start, 14 s from now.
        var fresh = limiter.TryAcquire(A);
        Assert.Equal((DeferralReason.Interval, TimeSpan.FromSeconds(14)), (fresh.Reason, fresh.RetryAfter));
    }

    [Fact]
    public void A_step_is_the_interval_plus_how_long_the_last_connection_lasted()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time);
        var first = limiter.TryAcquire(A).Lease!;
        time.Advance(TimeSpan.FromSeconds(2));
        first.Dispose();
        time.Advance(I);
        using var second = limiter.TryAcquire(A).Lease!;

        Assert.Equal(I + TimeSpan.FromSeconds(2), limiter.TryAcquire(A).RetryAfter);
        Assert.Equal(2 * (I + TimeSpan.FromSeconds(2)), limiter.TryAcquire(A).RetryAfter);
    }

    [Fact]
    public void A_full_global_cap_defers_by_the_interval_without_booking_or_holding_the_address()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time, global: 1);
        var other = limiter.TryAcquire(B).Lease!;

        var first = limiter.TryAcquire(A);
        var second = limiter.TryAcquire(A);
        Assert.Equal((DeferralReason.GlobalCap, I), (first.Reason, first.RetryAfter));
        Assert.Equal((DeferralReason.GlobalCap, I), (second.Reason, second.RetryAfter));

        // A's turn was given back: once the global slot is free, A is served at once (and its waiter too).
        other.Dispose();
        using var lease = limiter.TryAcquire(A).Lease;
        Assert.NotNull(lease);
    }

    [Fact]
    public void A_zero_interval_never_asks_for_an_immediate_retry()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time, interval: TimeSpan.Zero);
        using var held = limiter.TryAcquire(A).Lease!;
        var busy = limiter.TryAcquire(A);
        Assert.Equal((DeferralReason.AddressBusy, ConnectionLimits.MinimumRetry), (busy.Reason, busy.RetryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(100), ConnectionLimits.MinimumRetry);
    }

    [Fact]
    public void A_lease_given_back_unused_imposes_no_interval()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time);
        limiter.TryAcquire(A).Lease!.ReleaseUnused();
        using var again = limiter.TryAcquire(A).Lease;
        Assert.NotNull(again);
    }

    [Fact]
    public async Task The_waiting_and_the_non_blocking_ways_in_share_one_state()
    {
        var time = new SignallingTimeProvider();
        using var limiter = Limiter(time);

        // A lease taken without waiting holds up a waiter, and the waiter's interval counts from its end.
        var quick = limiter.TryAcquire(A).Lease!;
        var waiter = limiter.AcquireAsync(A);
        Assert.False(waiter.IsCompleted);
        quick.Dispose();
        Assert.False(waiter.IsCompleted);

        // While the waiter sleeps out the interval it holds A's turn: a non-blocking request is deferred.
        Assert.Equal(DeferralReason.AddressBusy, limiter.TryAcquire(A).Reason);
        Assert.True(await time.WaitForTimerAsync());
        time.Advance(I);
        var waited = await waiter.WaitAsync(Hang);

        // A lease taken by waiting holds up the non-blocking way in the same.
        Assert.Equal(DeferralReason.AddressBusy, limiter.TryAcquire(A).Reason);
        waited.Dispose();
        var after = limiter.TryAcquire(A, deferredBefore: true);
        Assert.Equal((DeferralReason.Interval, I), (after.Reason, after.RetryAfter));
        Assert.Equal(0, limiter.OpenConnections);
    }

    [Fact]
    public void A_null_address_is_refused()
    {
        using var limiter = Limiter(new FakeTimeProvider());
        Assert.Throws<ArgumentNullException>(() => limiter.TryAcquire(null!));
    }
}
