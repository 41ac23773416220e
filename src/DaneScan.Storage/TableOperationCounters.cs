using Azure.Data.Tables;

namespace DaneScan.Storage;

/// <summary>
/// Counts the Table Storage requests a store sends, the way Azure bills them: every REST request is one
/// transaction, whatever it carries (an entity-group transaction of up to 100 entities is one, a query page
/// of up to 1,000 entities is one, a point read is one, and so is a refused conditional insert). Also counts
/// the entities written and read and the billed size of what was written, for cost estimates and tests.
/// Thread-safe.
/// </summary>
public sealed class TableOperationCounters
{
    private long _transactions;
    private long _entities;
    private long _entityBytes;
    private long _pointReads;
    private long _queryPages;
    private long _entitiesRead;
    private long _deletes;
    private long _other;

    /// <summary>Write transactions: entity-group transactions and single-entity inserts and upserts (refused ones too).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Entities those write transactions stored.</summary>
    public long Entities => Interlocked.Read(ref _entities);

    /// <summary>The billed size of the entities written (<see cref="TableEntitySize.BilledBytes"/>), overwrites included.</summary>
    public long EntityBytesWritten => Interlocked.Read(ref _entityBytes);

    /// <summary>Reads of one entity by PartitionKey and RowKey (found or not: a 404 is billed too).</summary>
    public long PointReads => Interlocked.Read(ref _pointReads);

    /// <summary>Query requests: one per page of results (at most 1,000 entities a page, or fewer across partitions).</summary>
    public long QueryPages => Interlocked.Read(ref _queryPages);

    /// <summary>Entities those queries returned.</summary>
    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    /// <summary>Delete transactions.</summary>
    public long Deletes => Interlocked.Read(ref _deletes);

    /// <summary>Other requests: creating and deleting tables.</summary>
    public long Other => Interlocked.Read(ref _other);

    /// <summary>Every billed transaction: writes, point reads, query pages, deletes and table operations.</summary>
    public long BilledTransactions => Transactions + PointReads + QueryPages + Deletes + Other;

    public void RecordWrite(int entities, long billedBytes)
    {
        Interlocked.Increment(ref _transactions);
        Interlocked.Add(ref _entities, entities);
        Interlocked.Add(ref _entityBytes, billedBytes);
    }

    public void RecordPointRead() => Interlocked.Increment(ref _pointReads);

    public void RecordQueryPage(int entities)
    {
        Interlocked.Increment(ref _queryPages);
        Interlocked.Add(ref _entitiesRead, entities);
    }

    public void RecordDelete() => Interlocked.Increment(ref _deletes);

    public void RecordOther() => Interlocked.Increment(ref _other);
}

/// <summary>
/// The size Table Storage bills for an entity (the formula Azure Storage published for capacity billing):
/// 4 bytes + 2 bytes per character of PartitionKey and RowKey + for each property 8 bytes + 2 bytes per
/// character of its name + the size of its value (string: 4 + 2 per character; binary: 4 + its length;
/// Int32 4; Int64, Double and DateTime 8; Guid 16; Boolean 1).
/// </summary>
public static class TableEntitySize
{
    public static long BilledBytes(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        long size = 4 + (2L * ((entity.PartitionKey?.Length ?? 0) + (entity.RowKey?.Length ?? 0)));
        foreach (var (name, value) in entity)
        {
            // Null properties are not sent, so not stored.
            if (value is null || name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }

            size += 8 + (2L * name.Length) + value switch
            {
                string s => 4 + (2L * s.Length),
                byte[] b => 4 + b.Length,
                BinaryData d => 4 + d.ToMemory().Length,
                int => 4,
                bool => 1,
                Guid => 16,
                _ => 8, // long, double, DateTime, DateTimeOffset
            };
        }

        return size;
    }
}
