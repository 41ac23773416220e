using Azure.Data.Tables;

namespace DaneScan.Storage;

/// <summary>
/// Pre-aggregated statistics documents: JSON documents (a run's summary, pages of a breakdown) that a
/// dashboard reads with a few point reads instead of a scan of the run's records. They live in the
/// statistics table, partition <c>{runId}|agg</c>, one entity per document key, each written with
/// <see cref="TablePayload"/> (plain JSON up to 30,000 characters, else gzip split over binary properties,
/// within Table Storage's 64 KiB per property and 1 MiB per entity). Writers keep each document well below
/// that (the callers page large breakdowns); a document that still does not fit fails with
/// <see cref="StorageFaultKind.RecordTooLarge"/>.
/// </summary>
public sealed partial class TableResultStore
{
    private const string AggregatePartitionSuffix = "|agg";

    /// <summary>
    /// Writes (replaces) documents of a run: upserts, so writing the same documents again leaves the same
    /// rows. Documents of one call go in entity-group transactions of one partition, in no guaranteed order
    /// between transactions: write a document that says the others are complete in a later call.
    /// </summary>
    public async Task WriteAggregateDocumentsAsync(string runId, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var partition = ValidRunId(runId) + AggregatePartitionSuffix;
        var entities = documents.Select(d =>
        {
            var entity = new TableEntity(partition, StatisticsRowKey(d.Key));
            var size = TablePayload.Write(entity, d.Value, $"statistics document {runId}/{d.Key}");
            return (entity, size);
        }).ToList();
        await WriteBatchesAsync(_stats, entities, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One document's JSON, or null when it was not written.</summary>
    public async Task<byte[]?> ReadAggregateDocumentAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        var entity = await GetAsync(_stats, ValidRunId(runId) + AggregatePartitionSuffix, StatisticsRowKey(key), cancellationToken).ConfigureAwait(false);
        if (entity is null)
        {
            return null;
        }

        try
        {
            return TablePayload.Read(entity);
        }
        catch (InvalidDataException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds broken gzip", e);
        }
    }

    /// <summary>The keys of a run's documents (keys only are read).</summary>
    public async IAsyncEnumerable<string> EnumerateAggregateDocumentKeysAsync(string runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ValidRunId(runId) + AggregatePartitionSuffix}");
        await foreach (var entity in QueryAsync(_stats, filter, ["RowKey"], cancellationToken).ConfigureAwait(false))
        {
            yield return StatisticsKey(entity.RowKey);
        }
    }
}
