using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using static DaneScan.Storage.RunDirectoryStore;

namespace DaneScan.Storage;

/// <summary>
/// "One run at a time" for a run in Table Storage, as <see cref="RunDirectoryStore.LockRunAsync"/> is for a run
/// directory: a lease row in the run's partition of the runs table (PartitionKey = run id, RowKey
/// <see cref="RowKey"/>) naming its holder (process id, host, start). It is taken with optimistic concurrency
/// (an insert that fails with 409 when the row exists; an expired row is replaced only at the ETag that was read,
/// so two processes racing for it cannot both win), renewed every third of <see cref="Lease"/> at the ETag it
/// holds, and deleted at that ETag on <see cref="DisposeAsync"/>.
/// <para>
/// A holder killed without releasing it stops renewing: its lease expires <see cref="Lease"/> after the last
/// renewal, and the run can then be taken again (and resumed). Expiry is judged on the service's clock (the row's
/// Timestamp against the Date of the response that read it), so the clocks of the machines involved do not
/// matter. A holder that loses its lease (it could not renew in time, or another process took the expired row)
/// is told through <see cref="Lost"/> and must stop writing.
/// </para>
/// </summary>
public sealed class TableRunLock : IAsyncDisposable
{
    /// <summary>The lease row's RowKey within the run's partition of the runs table (the manifest's row is "manifest").</summary>
    public const string RowKey = "lock";

    /// <summary>How long a lease lasts past its last renewal unless told otherwise (<c>danescan scan --lock-lease</c>).</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);

    /// <summary>The shortest lease accepted: the service's Date header has a resolution of one second.</summary>
    public static readonly TimeSpan MinLease = TimeSpan.FromSeconds(3);

    private readonly TableClient _runs;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private ETag _etag;
    private bool _abandoned;

    private TableRunLock(TableClient runs, string runId, RunLockHolder holder, TimeSpan lease, ETag etag)
    {
        _runs = runs;
        RunId = runId;
        Holder = holder;
        Lease = lease;
        _etag = etag;
        _renewal = RenewAsync();
    }

    public string RunId { get; }

    /// <summary>This process, as the lease row names it.</summary>
    public RunLockHolder Holder { get; }

    public TimeSpan Lease { get; }

    /// <summary>Cancelled when the lease is lost; <see cref="LostReason"/> then says why.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why the lease was lost (one line), or null while it is held.</summary>
    public string? LostReason { get; private set; }

    /// <summary>
    /// Takes the lease on <paramref name="runId"/>, or throws <see cref="StorageException"/>
    /// (<see cref="StorageFaultKind.Conflict"/>) naming the holder of a lease that has not expired.
    /// </summary>
    internal static async Task<TableRunLock> AcquireAsync(TableClient runs, string runId, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (lease < MinLease)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, $"a lease lasts at least {MinLease.TotalSeconds} s");
        }

        var holder = RunLockHolder.Current();
        var entity = Entity(runId, holder, lease);
        // Each round either wins or sees a row that another process wrote since the last: a few rounds settle any race.
        for (var round = 0; round < 5; round++)
        {
            try
            {
                var added = await runs.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                return new TableRunLock(runs, runId, holder, lease, added.Headers.ETag ?? ETag.All);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Held, or left behind by a holder that was killed: look at it.
            }
            catch (RequestFailedException e)
            {
                throw TableResultStore.Classify(e, $"take the lock of run {runId}");
            }

            var existing = await TableResultStore.Guard(
                () => runs.GetEntityIfExistsAsync<TableEntity>(runId, RowKey, cancellationToken: cancellationToken), $"read the lock of run {runId}").ConfigureAwait(false);
            if (!existing.HasValue)
            {
                continue; // released in between
            }

            var row = existing.Value!;
            var serverNow = existing.GetRawResponse().Headers.Date ?? DateTimeOffset.UtcNow;
            if (!Expired(row, serverNow))
            {
                throw new StorageException(StorageFaultKind.Conflict, $"run {runId} in Table Storage ({runs.Name}) is being written by {Describe(row)}; wait for it to end or stop it (a stopped scan's lease expires {LeaseOf(row).TotalSeconds:0.#} s after its last renewal)");
            }

            try
            {
                var taken = await runs.UpdateEntityAsync(entity, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return new TableRunLock(runs, runId, holder, lease, taken.Headers.ETag ?? ETag.All);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Another process took or released the expired row first: look again.
            }
            catch (RequestFailedException e)
            {
                throw TableResultStore.Classify(e, $"take the expired lock of run {runId}");
            }
        }

        throw new StorageException(StorageFaultKind.Conflict, $"run {runId} in Table Storage ({runs.Name}) is being taken and released by other processes at once; try again");
    }

    /// <summary>Stops renewing and leaves the row as it is, as a holder that was killed does (tests).</summary>
    internal async Task AbandonAsync()
    {
        _abandoned = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
    }

    /// <summary>Stops renewing and deletes the lease row (at the ETag this process wrote: never someone else's).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        if (LostReason is null && !_abandoned)
        {
            try
            {
                await _runs.DeleteEntityAsync(RunId, RowKey, _etag).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
            {
                // Not released: it expires after the lease, and the run can be taken then.
            }
        }

        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task RenewAsync()
    {
        var lastRenewed = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    // Not cancelled by the release: it waits for a renewal in flight, so that it deletes at the ETag the service holds.
                    var renewed = await _runs.UpdateEntityAsync(Entity(RunId, Holder, Lease), _etag, TableUpdateMode.Replace, CancellationToken.None).ConfigureAwait(false);
                    _etag = renewed.Headers.ETag ?? ETag.All;
                    lastRenewed.Restart();
                    continue;
                }
                catch (RequestFailedException e) when (e.Status is 404 or 412)
                {
                    await LoseAsync($"the lock of run {RunId} was taken over ({await CurrentHolderAsync().ConfigureAwait(false)}) after this scan could not renew it within {Lease.TotalSeconds:0.#} s").ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
                {
                    // A failed renewal: the next tick tries again while the lease lasts.
                    if (lastRenewed.Elapsed >= Lease)
                    {
                        await LoseAsync($"the lock of run {RunId} could not be renewed within its {Lease.TotalSeconds:0.#} s lease ({OneLine(e.Message)}), so another scan may take the run").ConfigureAwait(false);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Released.
        }
    }

    private async Task LoseAsync(string reason)
    {
        LostReason = reason;
        await _lost.CancelAsync().ConfigureAwait(false);
    }

    private async Task<string> CurrentHolderAsync()
    {
        try
        {
            var row = await _runs.GetEntityIfExistsAsync<TableEntity>(RunId, RowKey).ConfigureAwait(false);
            return row.HasValue ? "now held by " + Describe(row.Value!) : "now released";
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
        {
            return "its holder could not be read";
        }
    }

    private static TableEntity Entity(string runId, RunLockHolder holder, TimeSpan lease) => new(runId, RowKey)
    {
        ["ProcessId"] = holder.ProcessId,
        ["Host"] = holder.Host,
        ["StartedUtc"] = holder.StartedUtc,
        ["LeaseSeconds"] = lease.TotalSeconds,
    };

    private static TimeSpan LeaseOf(TableEntity row) => TimeSpan.FromSeconds(row.GetDouble("LeaseSeconds") ?? DefaultLease.TotalSeconds);

    /// <summary>Whether the row's lease ran out: its last write (the service's Timestamp) is more than its lease before the service's now.</summary>
    private static bool Expired(TableEntity row, DateTimeOffset serverNow) =>
        row.Timestamp is not { } written || written + LeaseOf(row) < serverNow;

    private static string Describe(TableEntity row) =>
        new RunLockHolder(row.GetInt32("ProcessId") ?? 0, row.GetString("Host") ?? "?", row.GetDateTimeOffset("StartedUtc") ?? default).Describe();

    private static string OneLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"lock of run {RunId} held by {Holder.Describe()}, lease {Lease.TotalSeconds} s");
}
