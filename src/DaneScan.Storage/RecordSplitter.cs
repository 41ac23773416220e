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
    private static readonly (string Name, int[] Fields)[] BaseGroups =
        [.. SharedHosts.BaseFields.Select((path, i) => (path[0], i)).GroupBy(f => f.Item1).Select(g => (g.Key, g.Select(f => f.i).ToArray()))];

    private readonly ConcurrentDictionary<byte[], EncodedPart> _parts = new(PartBytes.Instance);
    private readonly ConcurrentDictionary<byte[], EncodedPart>.AlternateLookup<ReadOnlySpan<byte>> _partsBySpan;

    private readonly int _maxRemembered;

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
        var json = JsonSerializer.SerializeToUtf8Bytes(record, RecordJson.Options);
        var split = new RecordPass(this, domain, json);
        return (split.Run(), split.Parts);
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

    /// <summary>One record's pass: the line, its parts and the base's values as they pass.</summary>
    private sealed class RecordPass(RecordSplitter splitter, string domain, byte[] json)
    {
        private readonly Templater _template = new(domain);
        private readonly Range?[] _baseValues = new Range?[SharedHosts.BaseFields.Length];
        private readonly HashSet<string> _objects = new(StringComparer.Ordinal);
        private readonly ArrayBufferWriter<byte> _scratch = new(1024);
        private readonly List<Range> _ttls = [];

        public List<EncodedPart> Parts { get; } = new(8);

        public byte[] Run()
        {
            var body = new ArrayBufferWriter<byte>(json.Length);
            using (var line = new Utf8JsonWriter(body, WriterOptions))
            {
                var reader = new Utf8JsonReader(json);
                reader.Read();
                line.WriteStartObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && IsParent(name))
                    {
                        _objects.Add(name);
                        line.WritePropertyName(name);
                        line.WriteStartObject();
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var child = reader.GetString()!;
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

        private static bool IsParent(string name) =>
            SharedHosts.BaseFields.Any(p => p.Length == 2 && p[0] == name)
            || SharedHosts.SharedObjects.Any(p => p[0] == name)
            || SharedHosts.SharedArrays.Any(p => p[0] == name);

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
                Reference(line, json.AsSpan(Raw(ref reader)));
            }
            else if (reader.TokenType == JsonTokenType.StartArray && IndexOf(SharedHosts.SharedArrays, parent, name) >= 0)
            {
                line.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var element = json.AsSpan(Raw(ref reader));
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
                line.WriteRawValue(json.AsSpan(Raw(ref reader)), skipInputValidation: true);
            }
        }

        /// <summary>Writes <c>[ref, ttl, ...]</c> for a shared element and notes its part.</summary>
        private void Reference(Utf8JsonWriter line, ReadOnlySpan<byte> element)
        {
            _scratch.ResetWrittenCount();
            _ttls.Clear();
            using (var writer = new Utf8JsonWriter(_scratch, WriterOptions))
            {
                _template.Copy(writer, element, _ttls);
            }

            var part = splitter.Intern(_scratch.WrittenSpan);
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
            _scratch.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_scratch, WriterOptions))
            {
                writer.WriteStartObject();
                foreach (var (name, fields) in BaseGroups)
                {
                    if (SharedHosts.BaseFields[fields[0]].Length == 1)
                    {
                        if (_baseValues[fields[0]] is { } value)
                        {
                            writer.WritePropertyName(name);
                            _template.Copy(writer, json.AsSpan(value), null);
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
                            _template.Copy(writer, json.AsSpan(value), null);
                        }
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            return splitter.Intern(_scratch.WrittenSpan);
        }
    }

    /// <summary>Copies JSON with every string value templated (<see cref="SharedHosts.Template"/>) and, when asked, every "ttl" set to 0.</summary>
    private sealed class Templater
    {
        private readonly string _domain;
        private readonly byte[] _domainUtf8;

        /// <summary>True when the name's UTF-8 is how it appears inside JSON strings, so that strings are templated as bytes.</summary>
        private readonly bool _plain;

        public Templater(string domain)
        {
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
