using System.Diagnostics;

namespace DaneScan.Storage.Tests;

/// <summary>
/// One scan at a time for a run in Table Storage (issue "Hostile inputs", one run at a time), against Azurite:
/// the lease row is taken with optimistic concurrency, so of many processes racing for a run exactly one wins and
/// the others are told who holds it; a released lease, or one whose holder stopped renewing it for longer than the
/// lease, can be taken again; a held lease is renewed, so a scan that outlasts its lease keeps the run.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TableRunLockTests : IAsyncLifetime
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(3);
    private readonly AzuriteStores _tables = new("l");

    /// <summary>A store of its own (its own HTTP client), as a second process would have.</summary>
    private Task<TableResultStore> OpenAsync() => _tables.OpenAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _tables.DisposeAsync().AsTask();

    private static void AssertNamesHolder(StorageException refusal, string runId, TableRunLock holder)
    {
        Assert.Equal(StorageFaultKind.Conflict, refusal.Kind);
        Assert.Contains($"run {runId} ", refusal.Message, StringComparison.Ordinal);
        // The same words as a run directory's refusal: "is being written by process N on HOST since TIME".
        Assert.Contains($"is being written by process {Environment.ProcessId} on {Environment.MachineName} since {holder.Holder.StartedUtc.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Message);
    }

    [AzuriteFact]
    public async Task Of_concurrent_acquisitions_exactly_one_wins_and_the_others_name_the_holder()
    {
        const int racers = 8;
        var stores = new List<TableResultStore>();
        for (var i = 0; i < racers; i++)
        {
            stores.Add(await OpenAsync());
        }

        using var start = new Barrier(racers);
        var attempts = stores.Select(s => Task.Run(async () =>
        {
            start.SignalAndWait();
            return await s.LockRunAsync("race");
        })).ToList();
        var outcomes = new List<(TableRunLock? Lock, StorageException? Refusal)>();
        foreach (var attempt in attempts)
        {
            try
            {
                outcomes.Add((await attempt, null));
            }
            catch (StorageException e)
            {
                outcomes.Add((null, e));
            }
        }

        var winner = Assert.Single(outcomes, o => o.Lock is not null).Lock!;
        Assert.Equal(racers - 1, outcomes.Count(o => o.Refusal is not null));
        foreach (var (_, refusal) in outcomes.Where(o => o.Refusal is not null))
        {
            AssertNamesHolder(refusal!, "race", winner);
        }

        // Another run is not affected.
        await using (await stores[1].LockRunAsync("other"))
        {
        }

        await winner.DisposeAsync();
        await using var next = await stores[2].LockRunAsync("race");
        Assert.Null(next.LostReason);
    }

    [AzuriteFact]
    public async Task A_lease_whose_holder_stopped_renewing_can_be_taken_once_it_expired_and_not_before()
    {
        var first = await OpenAsync();
        var second = await OpenAsync();
        var killed = await first.LockRunAsync("killed", ShortLease);
        var clock = Stopwatch.StartNew();
        await killed.AbandonAsync(); // as kill -9 leaves it: the row stays, nobody renews it

        var refusal = await Assert.ThrowsAsync<StorageException>(() => second.LockRunAsync("killed", ShortLease));
        AssertNamesHolder(refusal, "killed", killed);
        Assert.Contains("expires 3 s after its last renewal", refusal.Message, StringComparison.Ordinal);

        // The lease runs out 3 s after its last write; the service's Date header counts whole seconds, so allow one more.
        TableRunLock? taken = null;
        while (taken is null)
        {
            try
            {
                taken = await second.LockRunAsync("killed", ShortLease);
            }
            catch (StorageException e) when (e.Kind == StorageFaultKind.Conflict && clock.Elapsed < ShortLease + TimeSpan.FromSeconds(3))
            {
                await Task.Delay(200);
            }
        }

        Assert.True(clock.Elapsed >= ShortLease - TimeSpan.FromMilliseconds(100), $"the lease was taken after {clock.Elapsed}, before it expired");
        await using (taken)
        {
            Assert.Null(taken.LostReason);
            var third = await OpenAsync();
            AssertNamesHolder(await Assert.ThrowsAsync<StorageException>(() => third.LockRunAsync("killed", ShortLease)), "killed", taken);
        }

        await killed.DisposeAsync();
    }

    [AzuriteFact]
    public async Task A_held_lease_is_renewed_and_outlasts_its_lease_time()
    {
        var holderStore = await OpenAsync();
        var other = await OpenAsync();
        await using var held = await holderStore.LockRunAsync("long", ShortLease);

        await Task.Delay(ShortLease * 3);

        AssertNamesHolder(await Assert.ThrowsAsync<StorageException>(() => other.LockRunAsync("long", ShortLease)), "long", held);
        Assert.Null(held.LostReason);
        Assert.False(held.Lost.IsCancellationRequested);
    }

    [AzuriteFact]
    public async Task A_lease_shorter_than_the_minimum_is_refused()
    {
        var store = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.LockRunAsync("short", TimeSpan.FromSeconds(1)));
    }
}
