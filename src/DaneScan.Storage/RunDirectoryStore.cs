using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>
/// The local result store: one directory per run under a root folder, needing no service.
/// <code>
/// &lt;root&gt;/&lt;runId&gt;/manifest.json     the run manifest (replaced atomically)
/// &lt;root&gt;/&lt;runId&gt;/domains.jsonl     one {"key":domain,"record":DomainRecord} a line, append-only, in the compact
///                                  form of <see cref="SharedHosts"/>: run-level values, MX RRset, host observations,
///                                  host verdicts and findings replaced by references to shared parts
/// &lt;root&gt;/&lt;runId&gt;/hosts.jsonl       one {"key":ref,"record":{"ref":ref,"host":part}} a line: each distinct shared
///                                  part of the run's domain records once, written before the domains using it
/// &lt;root&gt;/&lt;runId&gt;/probes.jsonl      one {"key":"host|address","record":ProbeRecord} a line, append-only
/// &lt;root&gt;/&lt;runId&gt;/statistics.json   pre-aggregated counts (replaced atomically)
/// &lt;root&gt;/&lt;runId&gt;/writer.lock       locked by the one store writing the run
/// &lt;root&gt;/&lt;runId&gt;/writer.json       who holds the lock: process id, host, start (written by <see cref="LockRunAsync"/>)
/// </code>
/// A run killed at any moment and reopened loses at most the line being written, which is cut off
/// (see <see cref="JsonlLog{T}"/>); every record is stored once (first write wins). Appends reach the
/// operating system at once (they survive the process being killed); fsync happens on manifest writes,
/// <see cref="FlushAsync"/> and disposal.
/// </summary>
public sealed class RunDirectoryStore : IResultStore, IAsyncDisposable
{
    public const string ManifestFile = "manifest.json";
    public const string DomainsFile = "domains.jsonl";
    public const string ProbesFile = "probes.jsonl";
    public const string HostsFile = "hosts.jsonl";
    public const string StatisticsFile = "statistics.json";

    /// <summary>Held (exclusively locked) while a store has the run open for writing.</summary>
    public const string LockFile = "writer.lock";

    /// <summary>Names the process holding <see cref="LockFile"/> (the lock file itself cannot be read while it is held).</summary>
    public const string HolderFile = "writer.json";

    private readonly SemaphoreSlim _open = new(1, 1);
    private readonly Dictionary<string, RunLogs> _runs = new(StringComparer.Ordinal);

    public RunDirectoryStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>The directory of a run.</summary>
    public string RunDirectory(string runId) => Path.Combine(Root, RunIds.Validate(runId));

    /// <summary>
    /// Takes the run's writer lock now (rather than at the first write) and records who holds it, so that a
    /// second process on the same run is refused before it does anything. Throws <see cref="StorageException"/>
    /// (<see cref="StorageFaultKind.Conflict"/>) naming the holder when another store or process holds it.
    /// The lock is held until the store is disposed (or the process ends: the operating system releases it).
    /// </summary>
    public async Task LockRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        var holder = RunLockHolder.Current();
        await WriteAtomicallyAsync(Path.Combine(RunDirectory(runId), HolderFile), holder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Bytes of a torn last line cut off when the run's files were reopened (0 when the last write was whole).</summary>
    public async Task<(long DomainsTornBytes, long ProbesTornBytes)> RecoveryAsync(string runId, CancellationToken cancellationToken = default)
    {
        var logs = await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        return (logs.Domains.TornBytesDropped + logs.Hosts.TornBytesDropped, logs.Probes.TornBytesDropped);
    }

    public async Task WriteManifestAsync(RunManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await WriteAtomicallyAsync(Path.Combine(RunDirectory(manifest.RunId), ManifestFile), manifest, cancellationToken).ConfigureAwait(false);
    }

    public Task<RunManifest?> ReadManifestAsync(string runId, CancellationToken cancellationToken = default) =>
        ReadJsonAsync<RunManifest>(Path.Combine(RunDirectory(runId), ManifestFile), cancellationToken);

    /// <summary>Batches of at least this many records are split on every core.</summary>
    private const int ParallelSplitFrom = 32;

    private static readonly JsonEncodedText PartRefName = JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(nameof(HostPart.Ref)));
    private static readonly JsonEncodedText PartHostName = JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(nameof(HostPart.Host)));
    private readonly RecordSplitter _splitter = new();

    public async Task WriteDomainsAsync(string runId, IReadOnlyList<DomainRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var logs = await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
        }

        // Splitting a record into its line and parts is pure CPU work (serialisation, and content addresses of parts
        // not seen before): a batch is split on every core, then appended in its order.
        var split = new (byte[] Line, IReadOnlyList<EncodedPart> Parts)[records.Count];
        if (records.Count >= ParallelSplitFrom)
        {
            Parallel.For(0, records.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => split[i] = _splitter.Split(records[i]));
        }
        else
        {
            for (var i = 0; i < records.Count; i++)
            {
                split[i] = _splitter.Split(records[i]);
            }
        }

        var lines = new List<(string Key, byte[] Line)>(records.Count);
        var parts = new List<EncodedPart>();
        for (var i = 0; i < records.Count; i++)
        {
            lines.Add((RecordJson.Key(records[i]), split[i].Line));
            parts.AddRange(split[i].Parts);
        }

        // The shared parts reach the file before the domain lines that refer to them: a run killed in between
        // leaves an unreferenced part, never a reference without its part.
        var fresh = logs.Written.NotYetWritten(runId, parts);
        if (fresh.Count > 0)
        {
            await logs.Hosts.AppendAsync(fresh.Select(p => (p.Ref, p)), WritePart, cancellationToken).ConfigureAwait(false);
            logs.Written.MarkWritten(runId, fresh);
        }

        await logs.Domains.AppendAsync(lines, static (writer, line) => writer.WriteRawValue(line, skipInputValidation: true), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A part as <see cref="HostPart"/> reads it: {"ref":...,"host":...}.</summary>
    private static void WritePart(Utf8JsonWriter writer, EncodedPart part)
    {
        writer.WriteStartObject();
        writer.WriteString(PartRefName, part.Ref);
        writer.WritePropertyName(PartHostName);
        writer.WriteRawValue(part.Json, skipInputValidation: true);
        writer.WriteEndObject();
    }

    public async Task WriteProbesAsync(string runId, IReadOnlyList<ProbeRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var logs = await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        await logs.Probes.AppendAsync(records, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DomainRecord?> ReadDomainAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        var logs = await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        var key = RecordJson.DomainKey(domain);
        if (await logs.Domains.ReadAsync(key, cancellationToken).ConfigureAwait(false) is not { } line)
        {
            return null;
        }

        var hosts = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var id in SharedHosts.RefsOf(line))
        {
            if (!hosts.ContainsKey(id) && await logs.Hosts.ReadAsync(id, cancellationToken).ConfigureAwait(false) is { } part)
            {
                hosts[id] = part.Host;
            }
        }

        return SharedHosts.Join(line, key, id => hosts.GetValueOrDefault(id));
    }

    public async Task<ProbeRecord?> ReadProbeAsync(string runId, string host, string address, CancellationToken cancellationToken = default)
    {
        var logs = await LogsAsync(runId, cancellationToken).ConfigureAwait(false);
        return await logs.Probes.ReadAsync(RecordJson.ProbeKey(host, address), cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<DomainRecord> EnumerateDomainsAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The shared parts are few (one per distinct host answer, MX RRset, finding... of the run): read them first.
        var hosts = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        await foreach (var part in JsonlLog<HostPart>.EnumerateAsync(Path.Combine(RunDirectory(runId), HostsFile), cancellationToken).ConfigureAwait(false))
        {
            hosts.TryAdd(part.Key, part.Record.Host);
        }

        await foreach (var line in JsonlLog<JsonObject>.EnumerateAsync(Path.Combine(RunDirectory(runId), DomainsFile), cancellationToken).ConfigureAwait(false))
        {
            yield return SharedHosts.Join(line.Record, line.Key, id => hosts.GetValueOrDefault(id));
        }
    }

    public async IAsyncEnumerable<ProbeRecord> EnumerateProbesAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var line in JsonlLog<ProbeRecord>.EnumerateAsync(Path.Combine(RunDirectory(runId), ProbesFile), cancellationToken).ConfigureAwait(false))
        {
            yield return line.Record;
        }
    }

    public IAsyncEnumerable<string> EnumerateDomainNamesAsync(string runId, CancellationToken cancellationToken = default) =>
        JsonlLog<JsonObject>.EnumerateKeysAsync(Path.Combine(RunDirectory(runId), DomainsFile), cancellationToken);

    public Task WriteStatisticsAsync(RunStatistics statistics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        return WriteAtomicallyAsync(Path.Combine(RunDirectory(statistics.RunId), StatisticsFile), statistics, cancellationToken);
    }

    public Task<RunStatistics?> ReadStatisticsAsync(string runId, CancellationToken cancellationToken = default) =>
        ReadJsonAsync<RunStatistics>(Path.Combine(RunDirectory(runId), StatisticsFile), cancellationToken);

    /// <summary>Makes every append so far durable (fsync).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        List<RunLogs> runs;
        await _open.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            runs = [.. _runs.Values];
        }
        finally
        {
            _open.Release();
        }

        foreach (var logs in runs)
        {
            await logs.Hosts.FlushToDiskAsync(cancellationToken).ConfigureAwait(false);
            await logs.Domains.FlushToDiskAsync(cancellationToken).ConfigureAwait(false);
            await logs.Probes.FlushToDiskAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (runId, logs) in _runs)
        {
            await logs.Hosts.DisposeAsync().ConfigureAwait(false);
            await logs.Domains.DisposeAsync().ConfigureAwait(false);
            await logs.Probes.DisposeAsync().ConfigureAwait(false);
            try
            {
                // While the lock is still held, so that a holder file is never someone else's.
                File.Delete(Path.Combine(RunDirectory(runId), HolderFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Stale: the next holder overwrites it.
            }

            await logs.WriterLock.DisposeAsync().ConfigureAwait(false);
        }

        _runs.Clear();
        _open.Dispose();
    }

    private async Task<RunLogs> LogsAsync(string runId, CancellationToken cancellationToken)
    {
        var dir = RunDirectory(runId);
        await _open.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_runs.TryGetValue(runId, out var logs))
            {
                return logs;
            }

            CreateDirectory(dir);
            FileStream writerLock;
            try
            {
                writerLock = new FileStream(Path.Combine(dir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e)
            {
                throw new StorageException(StorageFaultKind.Conflict, $"run {runId} in {Root} is being written by {DescribeHolder(dir)}; wait for it to end or stop it", e);
            }

            JsonlLog<HostPart>? hosts = null;
            JsonlLog<JsonObject>? domains = null;
            try
            {
                hosts = await JsonlLog<HostPart>.OpenAsync(Path.Combine(dir, HostsFile), p => p.Ref, cancellationToken).ConfigureAwait(false);
                domains = await JsonlLog<JsonObject>.OpenAsync(Path.Combine(dir, DomainsFile), keyOf: null, cancellationToken).ConfigureAwait(false);
                var probes = await JsonlLog<ProbeRecord>.OpenAsync(Path.Combine(dir, ProbesFile), RecordJson.Key, cancellationToken).ConfigureAwait(false);
                logs = new RunLogs(hosts, domains, probes, writerLock);
            }
            catch
            {
                if (domains is not null)
                {
                    await domains.DisposeAsync().ConfigureAwait(false);
                }

                if (hosts is not null)
                {
                    await hosts.DisposeAsync().ConfigureAwait(false);
                }

                await writerLock.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _runs.Add(runId, logs);
            return logs;
        }
        finally
        {
            _open.Release();
        }
    }

    private static string DescribeHolder(string dir)
    {
        try
        {
            var holder = JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllBytes(Path.Combine(dir, HolderFile)), RecordJson.Options);
            if (holder is not null)
            {
                return holder.Describe();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // Not written yet (the holder is starting), or not readable: say what is known.
        }

        return "another process (its " + HolderFile + " is not readable yet)";
    }

    private static void CreateDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException(StorageFaultKind.FileSystem, $"cannot create {dir}: {e.Message}", e);
        }
    }

    private static async Task WriteAtomicallyAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        try
        {
            var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, value, RecordJson.IndentedOptions, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException(StorageFaultKind.FileSystem, $"cannot write {path}: {e.Message}", e);
        }
    }

    private static async Task<T?> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync<T>(stream, RecordJson.Options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"{path} is not a readable {typeof(T).Name}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new StorageException(StorageFaultKind.FileSystem, $"cannot read {path}: {e.Message}", e);
        }
    }

    /// <summary>Who holds a run's writer lock (a run directory's, or a Table Storage run's lease: <see cref="TableRunLock"/>).</summary>
    public sealed record RunLockHolder(int ProcessId, string Host, DateTimeOffset StartedUtc)
    {
        /// <summary>This process, from now.</summary>
        public static RunLockHolder Current() => new(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow);

        /// <summary>"process N on HOST since TIME", as the refusal messages of both stores name a holder.</summary>
        public string Describe() =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"process {ProcessId} on {Host} since {StartedUtc.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
    }

    private sealed record RunLogs(JsonlLog<HostPart> Hosts, JsonlLog<JsonObject> Domains, JsonlLog<ProbeRecord> Probes, FileStream WriterLock)
    {
        /// <summary>Parts this store wrote in this session (the log dedupes the rest by key).</summary>
        public WrittenParts Written { get; } = new();
    }
}
