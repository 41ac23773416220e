using System.Globalization;
using System.Net;
using Azure;
using Azure.Data.Tables;
using DaneScan.Contracts;
using DaneScan.Pipeline.Engine;
using DaneScan.Storage;

namespace DaneScan.Fleet;

/// <summary>
/// How far a distributed run got, kept as idempotent marker rows in the coordination table next to the
/// probe claims (<c>{prefix}Claims</c>), so that any number of function instances with at-least-once
/// delivery and no atomic counters can tell when a run is done:
/// <list type="table">
/// <item><term><c>{run}|sent</c> / <c>resolve</c></term><description>written by the enumerate stage once every resolve batch is sent: how many batches (messages) and domains.</description></item>
/// <item><term><c>{run}|batches</c> / batch index</term><description>written by the resolve stage when a batch's domains are stored and its targets claimed; carries the batch's domain count.</description></item>
/// <item><term><c>{run}|claims</c> / target key</term><description>the probe claims (<see cref="ProbeClaims"/>): every target some batch claimed.</description></item>
/// <item><term><c>{run}|probed</c> / target key</term><description>written by the probe stage once the target's probe is stored and its waiting domains judged.</description></item>
/// </list>
/// Markers are inserted once (a redelivery finds the row and leaves it), so each row's server timestamp is
/// when that piece of work first finished. Counting reads keys (and timestamps) only, one partition per query.
/// A run is complete when the enumeration is recorded, as many distinct batches are done as were sent
/// (holding as many domains), and every claimed target is probed. A batch claims its targets before it is
/// marked done, so once all batches are done no new claim can appear.
/// </summary>
public sealed class RunProgress
{
    private const string SentRow = "resolve";
    private readonly TableClient _table;

    internal RunProgress(TableClient table, TableOperationCounters counters)
    {
        _table = table;
        Counters = counters;
    }

    public string TableName => _table.Name;

    /// <summary>Every request sent for the markers, as Azure bills them (shared with the <see cref="ProbeClaims"/> of the same table).</summary>
    public TableOperationCounters Counters { get; }

    /// <summary>Records that the enumerate stage sent all of the run's resolve batches (idempotent; a later call replaces the counts).</summary>
    public Task RecordEnumerationSentAsync(string runId, int messages, int domains, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(messages);
        ArgumentOutOfRangeException.ThrowIfNegative(domains);
        var entity = new TableEntity(Partition(runId, "sent"), SentRow) { ["Messages"] = messages, ["Domains"] = domains };
        return UpsertAsync(entity, cancellationToken);
    }

    private async Task UpsertAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        Counters.RecordWrite(1, TableEntitySize.BilledBytes(entity));
    }

    /// <summary>Marks a resolve batch done: its domains stored and its targets claimed. Idempotent per (run, batch index).</summary>
    public Task MarkBatchResolvedAsync(string runId, int batchIndex, int domains, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        var entity = new TableEntity(Partition(runId, "batches"), batchIndex.ToString("D10", CultureInfo.InvariantCulture)) { ["Domains"] = domains };
        return InsertOnceAsync(entity, cancellationToken);
    }

    /// <summary>True when an earlier delivery of the batch marked it resolved (every domain stored, every target claimed).</summary>
    public async Task<bool> IsBatchResolvedAsync(string runId, int batchIndex, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(runId, "batches"), batchIndex.ToString("D10", CultureInfo.InvariantCulture), ["RowKey"], cancellationToken).ConfigureAwait(false);
        return row.HasValue;
    }

    /// <summary>Marks a claimed target probed: its observation stored and its waiting domains judged. Idempotent per (run, target).</summary>
    public Task MarkProbedAsync(string runId, ProbeTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return InsertOnceAsync(new TableEntity(Partition(runId, "probed"), target.Key), cancellationToken);
    }

    /// <summary>Counts the run's markers and says whether it is complete.</summary>
    public async Task<RunCompletion> CheckAsync(string runId, CancellationToken cancellationToken = default)
    {
        var sent = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(runId, "sent"), SentRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        Counters.RecordPointRead();
        int? messages = sent.HasValue ? sent.Value!.GetInt32("Messages") : null;
        int? domainsSent = sent.HasValue ? sent.Value!.GetInt32("Domains") : null;
        DateTimeOffset? last = sent.HasValue ? sent.Value!.Timestamp : null;

        long batches = 0;
        long domains = 0;
        await foreach (var row in Keys(Partition(runId, "batches"), ["RowKey", "Timestamp", "Domains"], cancellationToken).ConfigureAwait(false))
        {
            batches++;
            domains += row.GetInt32("Domains") ?? 0;
            last = Later(last, row.Timestamp);
        }

        // The claims are read after the batches: when every batch was done, no claim can appear after this.
        var outstanding = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in Keys(Partition(runId, "claims"), ["RowKey"], cancellationToken).ConfigureAwait(false))
        {
            outstanding.Add(row.RowKey);
        }

        var claimed = outstanding.Count;
        long probed = 0;
        await foreach (var row in Keys(Partition(runId, "probed"), ["RowKey", "Timestamp"], cancellationToken).ConfigureAwait(false))
        {
            probed++;
            outstanding.Remove(row.RowKey);
            last = Later(last, row.Timestamp);
        }

        return new RunCompletion(runId, messages, domainsSent, batches, domains, claimed, probed, outstanding.Count, last);
    }

    private async Task InsertOnceAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            Counters.RecordWrite(1, TableEntitySize.BilledBytes(entity));
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
        {
            // Marked by an earlier delivery: the first mark (and its timestamp) stands. The refused insert is billed.
            Counters.RecordWrite(0, 0);
        }
    }

    private async IAsyncEnumerable<TableEntity> Keys(string partition, string[] select, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), maxPerPage: 1000, select: select, cancellationToken: cancellationToken).AsPages();
        await foreach (var page in pages.ConfigureAwait(false))
        {
            Counters.RecordQueryPage(page.Values.Count);
            foreach (var row in page.Values)
            {
                yield return row;
            }
        }
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    internal static string Partition(string runId, string kind) => $"{RunIds.Validate(runId)}|{kind}";
}

/// <summary>What <see cref="RunProgress.CheckAsync"/> counted for a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="BatchesSent">Resolve batches the enumerate stage recorded sending; null until it recorded it.</param>
/// <param name="DomainsSent">Domains in those batches; null until recorded.</param>
/// <param name="BatchesResolved">Distinct resolve batches marked done.</param>
/// <param name="DomainsResolved">Domains in the batches marked done.</param>
/// <param name="ProbesClaimed">Distinct targets claimed.</param>
/// <param name="ProbesDone">Distinct targets marked probed.</param>
/// <param name="ProbesOutstanding">Claimed targets not yet marked probed.</param>
/// <param name="LastActivityUtc">The server time of the latest marker: when the run's last piece of work finished.</param>
public sealed record RunCompletion(
    string RunId,
    int? BatchesSent,
    int? DomainsSent,
    long BatchesResolved,
    long DomainsResolved,
    long ProbesClaimed,
    long ProbesDone,
    long ProbesOutstanding,
    DateTimeOffset? LastActivityUtc)
{
    /// <summary>True when every batch sent is resolved and every claimed target is probed.</summary>
    public bool IsComplete =>
        BatchesSent is { } sent && BatchesResolved == sent && DomainsResolved == DomainsSent && ProbesOutstanding == 0;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"run {RunId}: {(BatchesSent is null ? "enumeration not recorded" : $"{BatchesResolved}/{BatchesSent} batches ({DomainsResolved}/{DomainsSent} domains)")}, {ProbesDone}/{ProbesClaimed} claimed probes done");
}
