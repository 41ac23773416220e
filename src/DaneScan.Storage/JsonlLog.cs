using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>
/// An append-only JSON Lines file of keyed records: one <c>{"key":...,"record":...}</c> object a line.
/// Crash-safe: a line counts only once its newline is on disk, so a torn last line (a process killed
/// mid-write) is detected when the file is opened for writing, reported in <see cref="TornBytesDropped"/>
/// and cut off before anything is appended. Idempotent: a record whose key is already in the file is not
/// written again (first write wins).
/// </summary>
/// <remarks>
/// The writer keeps an index of one 8-byte slot per line (<see cref="HashSlots"/>, 10 to 13 bytes a record:
/// 1 million records take 10 to 13 MiB, growing 1/256 at a time): a 28-bit tag of the key's
/// <see cref="StableHash"/> beside the line's offset. A tag hit is checked against the key stored in the file,
/// so keys that share a tag are all kept and found. Lines past the 64 GiB a slot's offset holds are indexed by
/// their key instead (<c>_far</c>). The writer
/// opens the file with FileShare.Read: a second writer process fails with <see cref="StorageFaultKind.Conflict"/>.
/// </remarks>
internal sealed class JsonlLog<T> : IAsyncDisposable
    where T : class
{
    private static readonly byte[] KeyProperty = "key"u8.ToArray();
    private static readonly JsonEncodedText KeyName = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText RecordName = JsonEncodedText.Encode("record");
    private readonly string _path;
    private readonly Func<T, string>? _keyOf;
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>An append's lines are written here (under the lock) and reused by the next append; one batch too
    /// large to keep (past <see cref="KeepAppendBytes"/>) is let go afterwards.</summary>
    private const int AppendBufferBytes = 64 * 1024;
    private const int KeepAppendBytes = 8 * 1024 * 1024;
    private ArrayBufferWriter<byte> _appendBuffer = new(AppendBufferBytes);
    private Utf8JsonWriter? _appendWriter;
    /// <summary>The bits of an index slot that hold a line's offset + 1 (64 GiB); the other 28 hold the key's tag.</summary>
    internal const int DefaultOffsetBits = 36;

    private readonly int _offsetBits;
    private readonly ulong _offsetMask;
    private readonly HashSlots _index;
    private readonly Dictionary<string, long> _far = new(StringComparer.Ordinal);
    private readonly List<ulong> _candidates = [];
    private FileStream? _file;
    private long _length;
    private bool _faulted;

    private JsonlLog(string path, Func<T, string>? keyOf, int offsetBits)
    {
        _path = path;
        _keyOf = keyOf;
        _offsetBits = offsetBits;
        _offsetMask = (1UL << offsetBits) - 1;
        _index = new HashSlots(keyBits: 64 - offsetBits);
    }

    public long TornBytesDropped { get; private set; }

    public long CorruptLines { get; private set; }

    public int Count => (int)_index.Count + _far.Count;

    /// <summary>Opens (or creates) the file for appending, indexing what is there and cutting a torn last line.</summary>
    /// <param name="keyOf">The key of a record, for <see cref="AppendAsync(IEnumerable{T}, CancellationToken)"/>; null when records are appended with their keys.</param>
    /// <param name="offsetBits">The index slot's offset bits (<see cref="DefaultOffsetBits"/>; fewer in tests, to reach the lines past them).</param>
    public static async Task<JsonlLog<T>> OpenAsync(string path, Func<T, string>? keyOf, CancellationToken cancellationToken, int offsetBits = DefaultOffsetBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(offsetBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offsetBits, 56);
        var log = new JsonlLog<T>(path, keyOf, offsetBits);
        try
        {
            log._file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new StorageException(StorageFaultKind.Conflict, $"{path} is open for writing by another process", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException(StorageFaultKind.FileSystem, $"cannot open {path}: {e.Message}", e);
        }

        var committed = 0L;
        await foreach (var (offset, line) in ReadLinesAsync(log._file, 0, log._file.Length, cancellationToken).ConfigureAwait(false))
        {
            committed = offset + line.Length + 1;
            if (TryReadKey(line.Span, out var key))
            {
                // A key the file holds twice (it never writes one twice) is found at its first line: first write wins.
                if (await log.FindAsync(key, cancellationToken).ConfigureAwait(false) is null)
                {
                    log.AddToIndex(key, offset);
                }
            }
            else
            {
                log.CorruptLines++;
            }
        }

        if (log._file.Length > committed)
        {
            log.TornBytesDropped = log._file.Length - committed;
            log._file.SetLength(committed);
            log._file.Flush(flushToDisk: true);
        }

        log._length = committed;
        return log;
    }

    /// <summary>Appends the records whose keys are not in the file yet; returns how many were written.</summary>
    public Task<int> AppendAsync(IEnumerable<T> records, CancellationToken cancellationToken)
    {
        var keyOf = _keyOf ?? throw new InvalidOperationException($"{_path}: records are appended with their keys");
        return AppendAsync(records.Select(r => (keyOf(r), r)), cancellationToken);
    }

    /// <summary>Appends the records, each under the key given, whose keys are not in the file yet; returns how many were written.</summary>
    public Task<int> AppendAsync(IEnumerable<(string Key, T Record)> records, CancellationToken cancellationToken) =>
        AppendAsync(records, static (writer, record) => JsonSerializer.Serialize(writer, record, RecordJson.Options), cancellationToken);

    /// <summary>
    /// Appends records given in another form than <typeparamref name="T"/> (already encoded, for one), each under its
    /// key, whose keys are not in the file yet; <paramref name="writeRecord"/> writes one record's JSON, which must
    /// read back as a <typeparamref name="T"/>. Returns how many were written.
    /// </summary>
    public async Task<int> AppendAsync<TItem>(IEnumerable<(string Key, TItem Record)> records, Action<Utf8JsonWriter, TItem> writeRecord, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeRecord);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_faulted || _file is null)
            {
                throw new StorageException(StorageFaultKind.FileSystem, $"{_path} had a failed write; reopen the store to recover");
            }

            var buffer = _appendBuffer;
            buffer.ResetWrittenCount();
            var writer = _appendWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = RecordJson.Options.Encoder });
            var added = new List<(string Key, long Offset)>();
            var batchKeys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, record) in records)
            {
                if (!batchKeys.Add(key) || await FindAsync(key, cancellationToken).ConfigureAwait(false) is not null)
                {
                    continue;
                }

                added.Add((key, _length + buffer.WrittenCount));
                // As StoredLine<T> is written: {"key":...,"record":...}.
                writer.Reset(buffer);
                writer.WriteStartObject();
                writer.WriteString(KeyName, key);
                writer.WritePropertyName(RecordName);
                writeRecord(writer, record);
                writer.WriteEndObject();
                writer.Flush();
                buffer.Write("\n"u8);
            }

            if (buffer.WrittenCount == 0)
            {
                return 0;
            }

            try
            {
                await RandomAccess.WriteAsync(_file.SafeFileHandle, buffer.WrittenMemory, _length, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _faulted = true;
                throw new StorageException(StorageFaultKind.FileSystem, $"write to {_path} failed: {e.Message}", e);
            }

            _length += buffer.WrittenCount;
            foreach (var (key, offset) in added)
            {
                AddToIndex(key, offset);
            }

            if (buffer.Capacity > KeepAppendBytes)
            {
                _appendBuffer = new ArrayBufferWriter<byte>(AppendBufferBytes);
                _appendWriter?.Reset(_appendBuffer);
            }

            return added.Count;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The record stored under a key, or null.</summary>
    public async Task<T?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await FindAsync(key, cancellationToken).ConfigureAwait(false) is not { } offset)
            {
                return null;
            }

            var line = await ReadLineAtAsync(offset, cancellationToken).ConfigureAwait(false);
            return Parse(line.Span).Record;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Makes appended data durable (fsync).</summary>
    public async Task FlushToDiskAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _file?.Flush(flushToDisk: true);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            _file.Flush(flushToDisk: true);
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }

        _appendWriter?.Dispose();
        _lock.Dispose();
    }

    /// <summary>Reads every complete line of a file that may be open for writing elsewhere; a torn tail is ignored.</summary>
    public static async IAsyncEnumerable<StoredLine<T>> EnumerateAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            await foreach (var (_, line) in ReadLinesAsync(file, 0, file.Length, cancellationToken).ConfigureAwait(false))
            {
                if (TryParse(line.Span, out var stored))
                {
                    yield return stored;
                }
            }
        }
    }

    /// <summary>Reads the keys of every complete line.</summary>
    public static async IAsyncEnumerable<string> EnumerateKeysAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            await foreach (var (_, line) in ReadLinesAsync(file, 0, file.Length, cancellationToken).ConfigureAwait(false))
            {
                if (TryReadKey(line.Span, out var key))
                {
                    yield return key;
                }
            }
        }
    }

    private static async IAsyncEnumerable<(long Offset, ReadOnlyMemory<byte> Line)> ReadLinesAsync(
        FileStream file, long start, long end, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chunk = new byte[1 << 20];
        var pending = new ArrayBufferWriter<byte>();
        var pendingStart = start;
        var position = start;
        while (position < end)
        {
            var want = (int)Math.Min(chunk.Length, end - position);
            var n = await RandomAccess.ReadAsync(file.SafeFileHandle, chunk.AsMemory(0, want), position, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            var data = chunk.AsMemory(0, n);
            var chunkStart = position;
            position += n;
            var from = 0;
            while (true)
            {
                var nl = data.Span[from..].IndexOf((byte)'\n');
                if (nl < 0)
                {
                    pending.Write(data.Span[from..]);
                    break;
                }

                ReadOnlyMemory<byte> line;
                long lineOffset;
                if (pending.WrittenCount > 0)
                {
                    pending.Write(data.Span.Slice(from, nl));
                    line = pending.WrittenMemory.ToArray();
                    lineOffset = pendingStart;
                    pending.Clear();
                }
                else
                {
                    line = data.Slice(from, nl);
                    lineOffset = chunkStart + from;
                }

                yield return (lineOffset, line);
                from += nl + 1;
                pendingStart = chunkStart + from;
            }
        }
    }

    private async Task<long?> FindAsync(string key, CancellationToken cancellationToken)
    {
        if (_far.Count > 0 && _far.TryGetValue(key, out var farOffset))
        {
            return farOffset;
        }

        var (segment, tagged) = Slot(key, 0);
        // Callers hold the lock (or open the log, alone): one list serves every lookup.
        _candidates.Clear();
        _index.Find(segment, tagged, _candidates);
        foreach (var candidate in _candidates)
        {
            var offset = (long)(candidate & _offsetMask) - 1;
            var line = await ReadLineAtAsync(offset, cancellationToken).ConfigureAwait(false);
            if (TryReadKey(line.Span, out var stored) && string.Equals(stored, key, StringComparison.Ordinal))
            {
                return offset;
            }
        }

        return null;
    }

    /// <summary>Indexes a key the index does not hold.</summary>
    private void AddToIndex(string key, long offset)
    {
        if (offset + 1 > (long)_offsetMask)
        {
            _far.Add(key, offset);
            return;
        }

        var (segment, value) = Slot(key, offset + 1);
        _index.Add(segment, value);
    }

    /// <summary>A key's segment (its hash's low 8 bits) and slot value: the hash's top bits (the tag), then the stored offset + 1.</summary>
    private (byte Segment, ulong Value) Slot(string key, long storedOffset)
    {
        var hash = StableHash.Of(key);
        return ((byte)hash, (hash >> _offsetBits << _offsetBits) | (ulong)storedOffset);
    }

    private async Task<ReadOnlyMemory<byte>> ReadLineAtAsync(long offset, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var position = offset;
        while (true)
        {
            var span = buffer.GetMemory(65536);
            var n = await RandomAccess.ReadAsync(_file!.SafeFileHandle, span, position, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.WrittenMemory;
            }

            var nl = span.Span[..n].IndexOf((byte)'\n');
            if (nl >= 0)
            {
                buffer.Advance(nl);
                return buffer.WrittenMemory;
            }

            buffer.Advance(n);
            position += n;
        }
    }

    private static bool TryReadKey(ReadOnlySpan<byte> line, out string key)
    {
        key = "";
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.Read() ||
                reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals(KeyProperty) || !reader.Read() ||
                reader.TokenType != JsonTokenType.String)
            {
                return false;
            }

            key = reader.GetString() ?? "";
            return key.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> line, out StoredLine<T> stored)
    {
        try
        {
            stored = Parse(line);
            return true;
        }
        catch (StorageException)
        {
            stored = null!;
            return false;
        }
    }

    private static StoredLine<T> Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize<StoredLine<T>>(line, RecordJson.Options) is { Record: not null } stored
                ? stored
                : throw new StorageException(StorageFaultKind.Corrupt, "empty line");
        }
        catch (JsonException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"unreadable line: {Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)])}", e);
        }
    }
}
