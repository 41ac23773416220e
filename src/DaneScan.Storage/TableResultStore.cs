using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>Settings of the Table Storage result store.</summary>
public sealed record TableStoreOptions
{
    /// <summary>Prefix of the four table names: {prefix}Domains, {prefix}Probes, {prefix}Runs, {prefix}Stats.</summary>
    public string TablePrefix { get; init; } = "danescan";

    /// <summary>
    /// How many partitions a run's records are spread over (PartitionKey = "runId|bucket"). Writers and
    /// readers of a run must agree; enumeration does not depend on it.
    /// </summary>
    public int Buckets { get; init; } = 64;

    /// <summary>Retries of transient faults (timeouts, 408, 429, 5xx, connection errors), with exponential back-off.</summary>
    public int MaxRetries { get; init; } = 5;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many transactions one write call sends at once. A call's records spread over up to
    /// <see cref="Buckets"/> partitions, hence as many transactions; write records in hundreds or thousands.
    /// </summary>
    public int MaxParallelTransactions { get; init; } = 16;
}

/// <summary>
/// The result store on Azure Table Storage (and Azurite). Layout:
/// <list type="table">
/// <item><term>{prefix}Domains</term><description>PartitionKey "runId|NNN" (NNN = bucket of SHA-256(domain), 3 digits), RowKey = domain</description></item>
/// <item><term>{prefix}Probes</term><description>PartitionKey "runId|NNN" (bucket of SHA-256("host|address")), RowKey = "host|address"</description></item>
/// <item><term>{prefix}Runs</term><description>PartitionKey = runId, RowKey "manifest"; RowKey "lock" while a scan holds the run (<see cref="TableRunLock"/>)</description></item>
/// <item><term>{prefix}Stats</term><description>PartitionKey = runId, RowKey = "dimension|value", Count; and PartitionKey "runId|agg", RowKey = a document key, the pre-aggregated documents the statistics API serves (see <see cref="WriteAggregateDocumentsAsync"/>)</description></item>
/// </list>
/// Spreading a run over buckets avoids one hot partition (2,000 entities/s per partition). Every write
/// is an upsert-replace keyed by (run, domain) or (run, host, address), so a redelivered message
/// changes nothing; writes go in entity-group transactions of at most 100 entities of one partition
/// and under 4 MiB. Faults come out as <see cref="StorageException"/> after the SDK's retries.
/// </summary>
public sealed partial class TableResultStore : IResultStore
{
    public const int MaxBatchEntities = 100;

    /// <summary>Budget for one transaction's request body (Table Storage refuses batches of 4 MiB or more).</summary>
    public const long MaxBatchBytes = 3_500_000;

    /// <summary>Parts kept after reading single domains (<see cref="ReadDomainAsync"/>); the cache starts over when full.</summary>
    private const int MaxCachedParts = 100_000;

    private const string ManifestRow = "manifest";
    private const string ComputedRow = "_computed";
    private readonly TableStoreOptions _options;
    private readonly TableClient _domains;
    private readonly TableClient _probes;
    private readonly TableClient _runs;
    private readonly TableClient _stats;
    private readonly WrittenParts _writtenParts = new();
    private readonly RecordSplitter _splitter = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Partition, string Ref), JsonObject> _readParts = new();

    private TableResultStore(TableServiceClient service, TableStoreOptions options)
    {
        _options = options;
        _domains = service.GetTableClient(options.TablePrefix + "Domains");
        _probes = service.GetTableClient(options.TablePrefix + "Probes");
        _runs = service.GetTableClient(options.TablePrefix + "Runs");
        _stats = service.GetTableClient(options.TablePrefix + "Stats");
    }

    /// <summary>Every request this store sent, as Azure bills them.</summary>
    public TableOperationCounters Counters { get; } = new();

    public IReadOnlyList<string> TableNames => [_domains.Name, _probes.Name, _runs.Name, _stats.Name];

    /// <summary>A service client with the store's retry policy, from a connection string ("UseDevelopmentStorage=true" for Azurite).</summary>
    public static TableServiceClient CreateServiceClient(string connectionString, TableStoreOptions? options = null)
    {
        options ??= new TableStoreOptions();
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.MaxDelay = options.MaxRetryDelay;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        return new TableServiceClient(connectionString, clientOptions);
    }

    /// <summary>Opens the store, creating its tables when missing.</summary>
    public static async Task<TableResultStore> OpenAsync(TableServiceClient service, TableStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        var store = Attach(service, options);
        await store.CreateTablesAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>
    /// The store over tables that exist already (Bicep creates them in Azure), without a request: for hosts that
    /// must not block while they are built. <see cref="CreateTablesAsync"/> creates any that are missing.
    /// </summary>
    public static TableResultStore Attach(TableServiceClient service, TableStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        options ??= new TableStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Buckets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Buckets, 1000);
        return new TableResultStore(service, options);
    }

    /// <summary>Creates the store's tables where they are missing (idempotent).</summary>
    public async Task CreateTablesAsync(CancellationToken cancellationToken = default)
    {
        var store = this;
        foreach (var table in new[] { store._domains, store._probes, store._runs, store._stats })
        {
            await Guard(() => table.CreateIfNotExistsAsync(cancellationToken), $"create table {table.Name}").ConfigureAwait(false);
            store.Counters.RecordOther();
        }
    }

    /// <summary>Deletes the store's tables (tests and disposable deployments).</summary>
    public async Task DeleteTablesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in new[] { _domains, _probes, _runs, _stats })
        {
            await Guard(() => table.DeleteAsync(cancellationToken), $"delete table {table.Name}").ConfigureAwait(false);
            Counters.RecordOther();
        }
    }

    /// <summary>
    /// Takes the run's lock (a lease row in the runs table, <see cref="TableRunLock"/>) before anything of the run is
    /// read or written, so that a second scan of the run is refused at once; throws <see cref="StorageException"/>
    /// (<see cref="StorageFaultKind.Conflict"/>) naming the holder. The fleet's stages write a run from many
    /// processes by design and take no lock; <c>danescan scan --store table</c> does.
    /// </summary>
    public Task<TableRunLock> LockRunAsync(string runId, TimeSpan? lease = null, CancellationToken cancellationToken = default) =>
        TableRunLock.AcquireAsync(_runs, ValidRunId(runId), lease ?? TableRunLock.DefaultLease, cancellationToken);

    /// <summary>The partition of a record key within a run.</summary>
    public string PartitionFor(string runId, string key)
    {
        var bucket = StableHash.Of(key) % (ulong)_options.Buckets;
        return string.Create(CultureInfo.InvariantCulture, $"{ValidRunId(runId)}|{bucket:D3}");
    }

    public async Task WriteManifestAsync(RunManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var entity = new TableEntity(ValidRunId(manifest.RunId), ManifestRow)
        {
            ["State"] = manifest.State.ToString(),
            ["StartedUtc"] = manifest.StartedUtc,
            ["EndedUtc"] = manifest.EndedUtc,
        };
        TablePayload.Write(entity, RecordJson.Serialize(manifest), $"manifest of {manifest.RunId}");
        await Guard(() => _runs.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken), $"write manifest {manifest.RunId}").ConfigureAwait(false);
        Counters.RecordWrite(1, TableEntitySize.BilledBytes(entity));
    }

    public async Task<RunManifest?> ReadManifestAsync(string runId, CancellationToken cancellationToken = default)
    {
        var entity = await GetAsync(_runs, ValidRunId(runId), ManifestRow, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : Decode<RunManifest>(entity);
    }

    /// <summary>Every run's manifest, each once, in run-id order (the runs table holds one manifest row per run).</summary>
    public async IAsyncEnumerable<RunManifest> EnumerateManifestsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entity in QueryAsync(_runs, TableClient.CreateQueryFilter($"RowKey eq {ManifestRow}"), null, cancellationToken).ConfigureAwait(false))
        {
            yield return Decode<RunManifest>(entity);
        }
    }

    /// <summary>
    /// Writes domain records in the compact form of the run directory (<see cref="SharedHosts"/>, format 3): each
    /// entity's payload refers to shared parts, which are stored once per run in the partition "runId|parts" of the
    /// same table (RowKey = the part's reference) and written, in transactions of their own, before the domain
    /// entities that refer to them. A writer killed in between leaves unreferenced parts, never a reference without
    /// its part; writers in several processes may write one part twice, with the same content.
    /// </summary>
    public async Task WriteDomainsAsync(string runId, IReadOnlyList<DomainRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var partition = PartsPartition(runId);
        var domains = new List<(TableEntity, long)>(records.Count);
        var parts = new List<EncodedPart>();
        foreach (var r in records)
        {
            ArgumentNullException.ThrowIfNull(r);
            var key = RecordJson.Key(r);
            var (line, recordParts) = _splitter.Split(r);
            parts.AddRange(recordParts);
            var entity = new TableEntity(PartitionFor(runId, key), key)
            {
                ["Rank"] = r.Rank,
                ["ObservedUtc"] = r.Observation.ObservedUtc,
                ["MxOutcome"] = r.Observation.Mx.Outcome.ToString(),
                ["HostCount"] = r.Observation.Hosts.Count,
            };
            domains.Add((entity, TablePayload.Write(entity, line, $"domain {key}")));
        }

        var fresh = _writtenParts.NotYetWritten(partition, parts);
        if (fresh.Count > 0)
        {
            var entities = fresh.Select(p =>
            {
                var entity = new TableEntity(partition, p.Ref);
                return (entity, TablePayload.Write(entity, p.Json, $"part {p.Ref} of run {runId}"));
            });
            await WriteBatchesAsync(_domains, entities, cancellationToken).ConfigureAwait(false);
            _writtenParts.MarkWritten(partition, fresh);
        }

        await WriteBatchesAsync(_domains, domains, cancellationToken).ConfigureAwait(false);
    }

    public Task WriteProbesAsync(string runId, IReadOnlyList<ProbeRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var entities = records.Select(r =>
        {
            var key = RecordJson.Key(r);
            var entity = new TableEntity(PartitionFor(runId, key), key)
            {
                ["Host"] = r.Host,
                ["Address"] = r.Address,
                ["Outcome"] = r.Observation.Outcome.ToString(),
                ["StartedUtc"] = r.Observation.StartedUtc,
            };
            var size = TablePayload.Write(entity, RecordJson.Serialize(r), $"probe {key}");
            return (entity, size);
        });
        return WriteBatchesAsync(_probes, entities, cancellationToken);
    }

    public async Task<DomainRecord?> ReadDomainAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        var key = RecordJson.DomainKey(domain);
        var entity = await GetAsync(_domains, PartitionFor(runId, key), key, cancellationToken).ConfigureAwait(false);
        if (entity is null)
        {
            return null;
        }

        var line = DecodeLine(entity);
        var partition = PartsPartition(runId);
        var parts = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var id in SharedHosts.RefsOf(line))
        {
            if (parts.ContainsKey(id))
            {
                continue;
            }

            if (!_readParts.TryGetValue((partition, id), out var part))
            {
                var row = await GetAsync(_domains, partition, id, cancellationToken).ConfigureAwait(false);
                if (row is null)
                {
                    continue; // Join names the missing part.
                }

                part = DecodePart(row);
                if (_readParts.Count >= MaxCachedParts)
                {
                    _readParts.Clear();
                }

                _readParts[(partition, id)] = part;
            }

            parts[id] = part;
        }

        return JoinLine(entity, line, parts);
    }

    public async Task<ProbeRecord?> ReadProbeAsync(string runId, string host, string address, CancellationToken cancellationToken = default)
    {
        var key = RecordJson.ProbeKey(host, address);
        var entity = await GetAsync(_probes, PartitionFor(runId, key), key, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : Decode<ProbeRecord>(entity);
    }

    public async IAsyncEnumerable<DomainRecord> EnumerateDomainsAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The shared parts are few (one per distinct host answer, MX RRset, finding... of the run): read them first.
        var parts = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var partition = PartsPartition(runId);
        await foreach (var row in QueryAsync(_domains, TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), null, cancellationToken).ConfigureAwait(false))
        {
            parts[row.RowKey] = DecodePart(row);
        }

        await foreach (var entity in QueryRunAsync(_domains, runId, null, cancellationToken).ConfigureAwait(false))
        {
            yield return JoinLine(entity, DecodeLine(entity), parts);
        }
    }

    public async IAsyncEnumerable<ProbeRecord> EnumerateProbesAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entity in QueryRunAsync(_probes, runId, null, cancellationToken).ConfigureAwait(false))
        {
            yield return Decode<ProbeRecord>(entity);
        }
    }

    public async IAsyncEnumerable<string> EnumerateDomainNamesAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entity in QueryRunAsync(_domains, runId, ["RowKey"], cancellationToken).ConfigureAwait(false))
        {
            yield return entity.RowKey;
        }
    }

    public async Task WriteStatisticsAsync(RunStatistics statistics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var runId = ValidRunId(statistics.RunId);

        // Replace the run's statistics: rows of an earlier computation that no longer exist are removed.
        var stale = new List<TableEntity>();
        await foreach (var row in QueryAsync(_stats, TableClient.CreateQueryFilter($"PartitionKey eq {runId}"), ["PartitionKey", "RowKey"], cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey != ComputedRow && !statistics.Counts.ContainsKey(StatisticsKey(row.RowKey)))
            {
                stale.Add(row);
            }
        }

        foreach (var group in stale.Chunk(MaxBatchEntities))
        {
            var actions = group.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)).ToList();
            await Guard(() => _stats.SubmitTransactionAsync(actions, cancellationToken), $"delete stale statistics of {runId}").ConfigureAwait(false);
            Counters.RecordDelete();
        }

        var entities = statistics.Counts
            .Select(kv => (new TableEntity(runId, StatisticsRowKey(kv.Key)) { ["Count"] = kv.Value }, 256L))
            .Append((new TableEntity(runId, ComputedRow) { ["ComputedUtc"] = statistics.ComputedUtc }, 256L));
        await WriteBatchesAsync(_stats, entities, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RunStatistics?> ReadStatisticsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        DateTimeOffset? computed = null;
        await foreach (var row in QueryAsync(_stats, TableClient.CreateQueryFilter($"PartitionKey eq {ValidRunId(runId)}"), null, cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey == ComputedRow)
            {
                computed = row.GetDateTimeOffset("ComputedUtc");
            }
            else
            {
                counts[StatisticsKey(row.RowKey)] = row.GetInt64("Count") ?? 0;
            }
        }

        return computed is null && counts.Count == 0 ? null : new RunStatistics { RunId = runId, ComputedUtc = computed ?? default, Counts = counts };
    }

    /// <summary>
    /// Groups entities by partition and submits them in transactions of at most 100 entities and
    /// <see cref="MaxBatchBytes"/>; partitions go in parallel (up to <see cref="TableStoreOptions.MaxParallelTransactions"/>).
    /// </summary>
    private async Task WriteBatchesAsync(TableClient table, IEnumerable<(TableEntity Entity, long Size)> entities, CancellationToken cancellationToken)
    {
        var transactions = new List<List<TableTransactionAction>>();
        foreach (var partition in entities.GroupBy(e => e.Entity.PartitionKey, StringComparer.Ordinal))
        {
            // A key repeated within one call keeps its last version, and appears in one transaction only,
            // so the transactions below are independent and may run in any order.
            var latest = new Dictionary<string, (TableEntity Entity, long Size)>(StringComparer.Ordinal);
            foreach (var item in partition)
            {
                latest[item.Entity.RowKey] = item;
            }

            var batch = new List<TableTransactionAction>();
            long bytes = 0;
            foreach (var (entity, size) in latest.Values)
            {
                if (batch.Count == MaxBatchEntities || (batch.Count > 0 && bytes + size > MaxBatchBytes))
                {
                    transactions.Add(batch);
                    batch = [];
                    bytes = 0;
                }

                batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
                bytes += size;
            }

            if (batch.Count > 0)
            {
                transactions.Add(batch);
            }
        }

        await Parallel.ForEachAsync(
            transactions,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelTransactions, CancellationToken = cancellationToken },
            async (batch, ct) => await SubmitAsync(table, batch, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task SubmitAsync(TableClient table, List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        await Guard(() => table.SubmitTransactionAsync(batch, cancellationToken), $"write {batch.Count} entities to {table.Name}/{batch[0].Entity.PartitionKey}").ConfigureAwait(false);
        Counters.RecordWrite(batch.Count, batch.Sum(a => TableEntitySize.BilledBytes((TableEntity)a.Entity)));
    }

    private async Task<TableEntity?> GetAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await Guard(() => table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken), $"read {table.Name}/{partitionKey}/{rowKey}").ConfigureAwait(false);
        Counters.RecordPointRead();
        return response.HasValue ? response.Value : null;
    }

    private IAsyncEnumerable<TableEntity> QueryRunAsync(TableClient table, string runId, IEnumerable<string>? select, CancellationToken cancellationToken)
    {
        var id = ValidRunId(runId);
        // The buckets "runId|000".."runId|999" (digits; ':' follows '9'), not the parts partition "runId|parts".
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {id + "|0"} and PartitionKey lt {id + "|:"}");
        return QueryAsync(table, filter, select, cancellationToken);
    }

    /// <summary>The partition of the Domains table holding a run's shared parts of domain records.</summary>
    internal static string PartsPartition(string runId) => ValidRunId(runId) + "|parts";

    private static JsonObject DecodeLine(TableEntity entity) => DecodeObject(entity, "domain record");

    private static JsonObject DecodePart(TableEntity entity) => DecodeObject(entity, "part of domain records");

    private static JsonObject DecodeObject(TableEntity entity, string what)
    {
        try
        {
            return JsonNode.Parse(TablePayload.Read(entity)) as JsonObject
                ?? throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds no JSON object ({what} expected)");
        }
        catch (JsonException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds no readable {what}", e);
        }
        catch (InvalidDataException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds broken gzip", e);
        }
    }

    private static DomainRecord JoinLine(TableEntity entity, JsonObject line, Dictionary<string, JsonObject> parts)
    {
        try
        {
            return SharedHosts.Join(line, entity.RowKey, id => parts.GetValueOrDefault(id));
        }
        catch (StorageException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey}: {e.Message}", e);
        }
    }

    private async IAsyncEnumerable<TableEntity> QueryAsync(TableClient table, string filter, IEnumerable<string>? select, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var pages = table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: select, cancellationToken: cancellationToken).AsPages(continuation);
            var enumerator = pages.GetAsyncEnumerator(cancellationToken);
            Page<TableEntity> page;
            try
            {
                if (!await Guard(async () => await enumerator.MoveNextAsync().ConfigureAwait(false), $"query {table.Name}").ConfigureAwait(false))
                {
                    yield break;
                }

                page = enumerator.Current;
                Counters.RecordQueryPage(page.Values.Count);
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var entity in page.Values)
            {
                yield return entity;
            }

            continuation = page.ContinuationToken;
        }
        while (continuation is not null);
    }

    private static T Decode<T>(TableEntity entity)
    {
        try
        {
            return RecordJson.Deserialize<T>(TablePayload.Read(entity));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds no readable {typeof(T).Name}", e);
        }
        catch (InvalidDataException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey} holds broken gzip", e);
        }
    }

    private static string ValidRunId(string runId) => RunIds.Validate(runId);

    /// <summary>
    /// A statistics key as a RowKey: '%' and the characters a RowKey may not hold ('/', '\\', '#', '?' and control
    /// characters, which DNS names with escaped bytes can bring) become %XX, reversibly (<see cref="StatisticsKey"/>).
    /// </summary>
    internal static string StatisticsRowKey(string key)
    {
        if (key.Length == 0 || key.Length > 512)
        {
            throw new StorageException(StorageFaultKind.InvalidRequest, $"statistics key '{key}' cannot be a RowKey: 1-512 characters");
        }

        if (!key.Any(NeedsEscape))
        {
            return key;
        }

        var sb = new System.Text.StringBuilder(key.Length + 8);
        foreach (var c in key)
        {
            if (NeedsEscape(c))
            {
                sb.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>The statistics key a RowKey written by <see cref="StatisticsRowKey"/> stands for.</summary>
    internal static string StatisticsKey(string rowKey)
    {
        if (!rowKey.Contains('%', StringComparison.Ordinal))
        {
            return rowKey;
        }

        var sb = new System.Text.StringBuilder(rowKey.Length);
        for (var i = 0; i < rowKey.Length; i++)
        {
            if (rowKey[i] == '%' && i + 2 < rowKey.Length && int.TryParse(rowKey.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            {
                sb.Append((char)code);
                i += 2;
            }
            else
            {
                sb.Append(rowKey[i]);
            }
        }

        return sb.ToString();
    }

    private static bool NeedsEscape(char c) => c is '%' or '/' or '\\' or '#' or '?' || char.IsControl(c);

    /// <summary>Runs a storage call and turns its faults into classified <see cref="StorageException"/>s.</summary>
    internal static async Task<T> Guard<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw Classify(e, what);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException or IOException))
        {
            // Azure.Core's retry policy gives up with an AggregateException of the attempts' transport errors.
            throw new StorageException(StorageFaultKind.Unavailable, $"{what}: {e.InnerExceptions[^1].Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException(StorageFaultKind.Unavailable, $"{what}: {e.Message}", e);
        }
    }

    internal static StorageException Classify(RequestFailedException e, string what)
    {
        var kind = e.Status switch
        {
            0 => StorageFaultKind.Unavailable,
            401 or 403 => StorageFaultKind.Unauthorized,
            409 or 412 => StorageFaultKind.Conflict,
            413 => StorageFaultKind.RecordTooLarge,
            429 => StorageFaultKind.Throttled,
            503 when e.ErrorCode is "ServerBusy" => StorageFaultKind.Throttled,
            408 or >= 500 => StorageFaultKind.Transient,
            400 when e.ErrorCode is "EntityTooLarge" or "PropertyValueTooLarge" or "RequestBodyTooLarge" => StorageFaultKind.RecordTooLarge,
            _ => StorageFaultKind.InvalidRequest,
        };
        return new StorageException(kind, $"{what}: HTTP {e.Status} {e.ErrorCode}: {FirstLine(e.Message)}", e);
    }

    private static string FirstLine(string message)
    {
        var nl = message.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? message : message[..nl].TrimEnd();
    }
}
