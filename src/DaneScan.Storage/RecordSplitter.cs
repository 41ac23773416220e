using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>A shared part as written: its content address (<see cref="SharedHosts.RefOf"/> of <see cref="Json"/>) and its JSON (UTF-8).</summary>
internal sealed record EncodedPart(string Ref, byte[] Json);

/// <summary>
/// Writes domain records as format-3 lines and parts (<see cref="SharedHosts"/>). The record is serialised once and
/// its JSON rewritten in one forward pass, without a JSON tree: shared elements are cut out as they pass, their TTLs
/// lifted into the line and the domain's name written <c>%d</c>. A part's content address is computed once per
/// distinct part: the splitter remembers the parts it has addressed (bounded: <see cref="DefaultMaxRemembered"/>), so the
/// thousandth domain on a host costs a lookup of bytes already hashed. Thread-safe.
/// </summary>
internal sealed class RecordSplitter
{
    /// <summary>Distinct parts remembered by default; past the bound the memory starts over (addresses are recomputed, never different).</summary>
    public const int DefaultMaxRemembered = 20_000;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = RecordJson.Options.Encoder, SkipValidation = true };
    private static readonly byte[] LineHead = [.. "{\""u8, .. JsonEncodedText.Encode(SharedHosts.BaseProperty, RecordJson.Options.Encoder).EncodedUtf8Bytes, .. "\":\""u8];

    /// <summary>The first-level names of <see cref="SharedHosts.BaseFields"/>, in order, each with the indexes of its fields.</summary>
    /// <summary>First-level names whose members are read one by one (the base's fields and the shared elements live under them).</summary>
    private static readonly HashSet<string> Parents = new(
        SharedHosts.BaseFields.Where(p => p.Length == 2).Select(p => p[0])
            .Concat(SharedHosts.SharedObjects.Select(p => p[0]))
            .Concat(SharedHosts.SharedArrays.Select(p => p[0])),
        StringComparer.Ordinal);

    private static readonly (string Name, int[] Fields)[] BaseGroups =
        [.. SharedHosts.BaseFields.Select((path, i) => (path[0], i)).GroupBy(f => f.Item1).Select(g => (g.Key, g.Select(f => f.i).ToArray()))];

    private readonly ConcurrentDictionary<byte[], EncodedPart> _parts = new(PartBytes.Instance);
    private readonly ConcurrentDictionary<byte[], EncodedPart>.AlternateLookup<ReadOnlySpan<byte>> _partsBySpan;

    private readonly int _maxRemembered;

    /// <summary>This thread's buffers and writers (a split never awaits, so a thread uses its own workspace alone).</summary>
    [ThreadStatic]
    private static Workspace? t_workspace;

    public RecordSplitter(int maxRemembered = DefaultMaxRemembered)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRemembered, 1);
        _maxRemembered = maxRemembered;
        _partsBySpan = _parts.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The distinct parts remembered now.</summary>
    public int Remembered => _parts.Count;

    /// <summary>The domain record as a stored line (format 3, UTF-8 JSON), and the parts it refers to.</summary>
    public (byte[] Line, IReadOnlyList<EncodedPart> Parts) Split(DomainRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var domain = record.Domain;
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var workspace = t_workspace ??= new Workspace();
        try
        {
            var json = workspace.Serialise(record);
            var split = workspace.Pass.Start(this, domain, json);
            return (split.Run(), split.Parts);
        }
        finally
        {
            workspace.Release();
        }
    }

    /// <summary>Where the value the reader is on lies in its input (the reader then passes it).</summary>
    private static Range Raw(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }

    private EncodedPart Intern(ReadOnlySpan<byte> partJson)
    {
        if (_partsBySpan.TryGetValue(partJson, out var known))
        {
            return known;
        }

        var bytes = partJson.ToArray();
        var part = new EncodedPart(SharedHosts.RefOf(bytes), bytes);
        if (_parts.Count >= _maxRemembered)
        {
            _parts.Clear();
        }

        return _parts.GetOrAdd(bytes, part);
    }

    /// <summary>
    /// One record's pass: the line, its parts and the base's values as they pass. Reused by its thread's
    /// <see cref="Workspace"/>: <see cref="Start"/> clears what the last record left.
    /// </summary>
    private sealed class RecordPass(Workspace workspace)
    {
        private readonly Templater _template = new();
        private readonly Range?[] _baseValues = new Range?[SharedHosts.BaseFields.Length];
        private readonly HashSet<string> _objects = new(StringComparer.Ordinal);
        private readonly List<Range> _ttls = [];
        private RecordSplitter _splitter = null!;
        private ReadOnlyMemory<byte> _json;

        /// <summary>The record's parts (a new list for each record: it is handed to the caller).</summary>
        public List<EncodedPart> Parts { get; private set; } = [];

        private ReadOnlySpan<byte> Json => _json.Span;

        public RecordPass Start(RecordSplitter owner, string domain, ReadOnlyMemory<byte> recordJson)
        {
            _splitter = owner;
            _json = recordJson;
            _template.Start(domain);
            Array.Clear(_baseValues);
            _objects.Clear();
            _ttls.Clear();
            Parts = new(8);
            return this;
        }

        /// <summary>Lets go of the last record's JSON and parts.</summary>
        public void Clear()
        {
            _splitter = null!;
            _json = ReadOnlyMemory<byte>.Empty;
            Parts = [];
        }

        public byte[] Run()
        {
            var body = workspace.Body;
            var line = workspace.BodyWriter;
            {
                var reader = new Utf8JsonReader(Json);
                reader.Read();
                line.WriteStartObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = Names.Of(ref reader);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && IsParent(name))
                    {
                        _objects.Add(name);
                        line.WritePropertyName(name);
                        line.WriteStartObject();
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var child = Names.Of(ref reader);
                            reader.Read();
                            Member(line, ref reader, name, child);
                        }

                        line.WriteEndObject();
                    }
                    else
                    {
                        Member(line, ref reader, null, name);
                    }
                }

                line.WriteEndObject();
                line.Flush();
            }

            var basePart = Base();
            Parts.Add(basePart);

            // {"$base":"<ref>", then the members of the record that stay in the line}
            var inner = body.WrittenSpan[1..^1];
            var stored = new byte[LineHead.Length + basePart.Ref.Length + 1 + (inner.IsEmpty ? 0 : 1 + inner.Length) + 1];
            var at = 0;
            Append(stored, ref at, LineHead);
            at += Encoding.ASCII.GetBytes(basePart.Ref, stored.AsSpan(at));
            Append(stored, ref at, "\""u8);
            if (!inner.IsEmpty)
            {
                Append(stored, ref at, ","u8);
                Append(stored, ref at, inner);
            }

            Append(stored, ref at, "}"u8);
            return stored;
        }

        private static void Append(byte[] to, ref int at, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(to.AsSpan(at));
            at += bytes.Length;
        }

        private static bool IsParent(string name) => Parents.Contains(name);

        private static int IndexOf(string[][] paths, string? parent, string name)
        {
            for (var i = 0; i < paths.Length; i++)
            {
                var p = paths[i];
                if (parent is null ? p.Length == 1 && p[0] == name : p.Length == 2 && p[0] == parent && p[1] == name)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>A member of the record (or of its observation or verdict), the reader on its value.</summary>
        private void Member(Utf8JsonWriter line, ref Utf8JsonReader reader, string? parent, string name)
        {
            var baseIndex = IndexOf(SharedHosts.BaseFields, parent, name);
            if (baseIndex >= 0)
            {
                _baseValues[baseIndex] = Raw(ref reader);
                return;
            }

            line.WritePropertyName(name);
            if (reader.TokenType == JsonTokenType.StartObject && IndexOf(SharedHosts.SharedObjects, parent, name) >= 0)
            {
                Reference(line, Json[Raw(ref reader)]);
            }
            else if (reader.TokenType == JsonTokenType.StartArray && IndexOf(SharedHosts.SharedArrays, parent, name) >= 0)
            {
                line.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var element = Json[Raw(ref reader)];
                    if (element[0] == (byte)'{')
                    {
                        Reference(line, element);
                    }
                    else
                    {
                        line.WriteRawValue(element, skipInputValidation: true);
                    }
                }

                line.WriteEndArray();
            }
            else
            {
                line.WriteRawValue(Json[Raw(ref reader)], skipInputValidation: true);
            }
        }

        /// <summary>Writes <c>[ref, ttl, ...]</c> for a shared element and notes its part.</summary>
        private void Reference(Utf8JsonWriter line, ReadOnlySpan<byte> element)
        {
            _ttls.Clear();
            var writer = workspace.StartScratch();
            _template.Copy(writer, element, _ttls);
            writer.Flush();

            var part = _splitter.Intern(workspace.Scratch.WrittenSpan);
            Parts.Add(part);
            line.WriteStartArray();
            line.WriteStringValue(part.Ref);
            foreach (var ttl in _ttls)
            {
                line.WriteRawValue(element[ttl], skipInputValidation: true);
            }

            line.WriteEndArray();
        }

        /// <summary>The base part: the run-level values and verdict summary, grouped as the record nests them.</summary>
        private EncodedPart Base()
        {
            var writer = workspace.StartScratch();
            {
                writer.WriteStartObject();
                foreach (var (name, fields) in BaseGroups)
                {
                    if (SharedHosts.BaseFields[fields[0]].Length == 1)
                    {
                        if (_baseValues[fields[0]] is { } value)
                        {
                            writer.WritePropertyName(name);
                            _template.Copy(writer, Json[value], null);
                        }

                        continue;
                    }

                    if (!_objects.Contains(name))
                    {
                        continue;
                    }

                    writer.WritePropertyName(name);
                    writer.WriteStartObject();
                    foreach (var i in fields)
                    {
                        if (_baseValues[i] is { } value)
                        {
                            writer.WritePropertyName(SharedHosts.BaseFields[i][1]);
                            _template.Copy(writer, Json[value], null);
                        }
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                writer.Flush();
            }

            return _splitter.Intern(workspace.Scratch.WrittenSpan);
        }
    }

    /// <summary>Copies JSON with every string value templated (<see cref="SharedHosts.Template"/>) and, when asked, every "ttl" set to 0.</summary>
    private sealed class Templater
    {
        private string _domain = "";
        private byte[] _domainUtf8 = [];

        /// <summary>True when the name's UTF-8 is how it appears inside JSON strings, so that strings are templated as bytes.</summary>
        private bool _plain;

        /// <summary>Templates for <paramref name="domain"/> from now on.</summary>
        public void Start(string domain)
        {
            if (ReferenceEquals(domain, _domain))
            {
                return;
            }

            _domain = domain;
            _domainUtf8 = Encoding.UTF8.GetBytes(domain);
            _plain = domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
        }

        /// <summary>Copies one JSON value; the TTL values' ranges (within <paramref name="value"/>) go to <paramref name="ttls"/>, if given.</summary>
        public void Copy(Utf8JsonWriter writer, ReadOnlySpan<byte> value, List<Range>? ttls)
        {
            var reader = new Utf8JsonReader(value);
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        break;
                    case JsonTokenType.PropertyName:
                        if (reader.ValueIsEscaped)
                        {
                            writer.WritePropertyName(reader.GetString()!);
                        }
                        else
                        {
                            writer.WritePropertyName(reader.ValueSpan);
                        }

                        if (ttls is not null && reader.ValueTextEquals("ttl"u8))
                        {
                            reader.Read();
                            ttls.Add(Raw(ref reader));
                            writer.WriteNumberValue(0);
                        }

                        break;
                    case JsonTokenType.String:
                        String(writer, ref reader);
                        break;
                    case JsonTokenType.Number:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True:
                        writer.WriteBooleanValue(true);
                        break;
                    case JsonTokenType.False:
                        writer.WriteBooleanValue(false);
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNullValue();
                        break;
                }
            }
        }

        private void String(Utf8JsonWriter writer, ref Utf8JsonReader reader)
        {
            if (!_plain || reader.ValueIsEscaped)
            {
                writer.WriteStringValue(SharedHosts.Template(reader.GetString()!, _domain));
                return;
            }

            var text = reader.ValueSpan;
            if (text.IndexOf((byte)'%') < 0 && text.IndexOf(_domainUtf8) < 0)
            {
                writer.WriteStringValue(text);
                return;
            }

            // At most two bytes for one: "%" becomes "%%"; the name (at least one byte) becomes "%d".
            var rented = ArrayPool<byte>.Shared.Rent(text.Length * 2);
            try
            {
                var n = 0;
                for (var i = 0; i < text.Length; i++)
                {
                    if (text[i..].StartsWith(_domainUtf8))
                    {
                        rented[n++] = (byte)'%';
                        rented[n++] = (byte)'d';
                        i += _domainUtf8.Length - 1;
                    }
                    else if (text[i] == (byte)'%')
                    {
                        rented[n++] = (byte)'%';
                        rented[n++] = (byte)'%';
                    }
                    else
                    {
                        rented[n++] = text[i];
                    }
                }

                writer.WriteStringValue(rented.AsSpan(0, n));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// A thread's buffers and JSON writers, reused from record to record: serialising and rewriting a record then
    /// allocates its stored line, its list of parts and the parts not seen before, little else. A buffer that grew
    /// past <see cref="KeepBytes"/> for an unusually large record is dropped afterwards rather than kept.
    /// </summary>
    private sealed class Workspace
    {
        private const int KeepBytes = 1 << 20;

        private static readonly JsonWriterOptions RecordWriterOptions = new()
        {
            Encoder = RecordJson.Options.Encoder,
            Indented = RecordJson.Options.WriteIndented,
            MaxDepth = RecordJson.Options.MaxDepth,
        };

        public Workspace()
        {
            Pass = new RecordPass(this);
            RecordWriter = new Utf8JsonWriter(Record, RecordWriterOptions);
            BodyWriter = new Utf8JsonWriter(Body, WriterOptions);
            ScratchWriter = new Utf8JsonWriter(Scratch, WriterOptions);
        }

        public RecordPass Pass { get; }

        public ArrayBufferWriter<byte> Record { get; private set; } = new(8192);

        public ArrayBufferWriter<byte> Body { get; private set; } = new(8192);

        public ArrayBufferWriter<byte> Scratch { get; private set; } = new(2048);

        public Utf8JsonWriter RecordWriter { get; }

        public Utf8JsonWriter BodyWriter { get; }

        public Utf8JsonWriter ScratchWriter { get; }

        /// <summary>The record's JSON, as <c>JsonSerializer.SerializeToUtf8Bytes</c> with the record options writes it.</summary>
        public ReadOnlyMemory<byte> Serialise(DomainRecord record)
        {
            Record.ResetWrittenCount();
            RecordWriter.Reset(Record);
            JsonSerializer.Serialize(RecordWriter, record, RecordJson.Options);
            RecordWriter.Flush();
            Body.ResetWrittenCount();
            BodyWriter.Reset(Body);
            return Record.WrittenMemory;
        }

        /// <summary>The scratch writer, emptied.</summary>
        public Utf8JsonWriter StartScratch()
        {
            Scratch.ResetWrittenCount();
            ScratchWriter.Reset(Scratch);
            return ScratchWriter;
        }

        /// <summary>After a record: no buffer keeps more than <see cref="KeepBytes"/>.</summary>
        public void Release()
        {
            Pass.Clear();
            if (Record.Capacity > KeepBytes)
            {
                Record = new(8192);
            }

            if (Body.Capacity > KeepBytes)
            {
                Body = new(8192);
            }

            if (Scratch.Capacity > KeepBytes)
            {
                Scratch = new(2048);
            }

            RecordWriter.Reset(Record);
            BodyWriter.Reset(Body);
            ScratchWriter.Reset(Scratch);
        }
    }

    /// <summary>
    /// Property names as strings, made once per distinct name: the names are the record types' own, a small set.
    /// Escaped names, and any name past <see cref="MaxNames"/>, are read as the reader gives them.
    /// </summary>
    private static class Names
    {
        private const int MaxNames = 4096;
        private static readonly ConcurrentDictionary<byte[], string> Known = new(PartBytes.Instance);
        private static readonly ConcurrentDictionary<byte[], string>.AlternateLookup<ReadOnlySpan<byte>> BySpan = Known.GetAlternateLookup<ReadOnlySpan<byte>>();

        public static string Of(ref Utf8JsonReader reader)
        {
            if (reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return reader.GetString()!;
            }

            var span = reader.ValueSpan;
            if (BySpan.TryGetValue(span, out var name))
            {
                return name;
            }

            name = reader.GetString()!;
            return Known.Count < MaxNames ? Known.GetOrAdd(span.ToArray(), name) : name;
        }
    }

    /// <summary>Parts compared by their bytes; looked up by a span without copying it.</summary>
    private sealed class PartBytes : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly PartBytes Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
