using System.Globalization;
using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;

namespace DaneScan.Storage;

/// <summary>
/// Puts a record's JSON into a table entity within Table Storage's limits: a string property holds at
/// most 64 KiB (32,768 UTF-16 characters), a binary property 64 KiB, an entity 1 MiB with 252 user
/// properties. Small JSON is kept readable in a <c>Json</c> string; larger JSON is gzip-compressed and
/// split into binary properties <c>Data00</c>..<c>Data14</c> (at most 15 × 64 KiB = 960 KiB).
/// Queryable columns beside the payload are cut to <see cref="MaxColumnChars"/>.
/// </summary>
internal static class TablePayload
{
    public const string EncodingProperty = "Encoding";
    public const string JsonProperty = "Json";
    public const string ChunksProperty = "Chunks";
    public const string LengthProperty = "Length";
    public const string PlainJson = "json";
    public const string GzipJson = "json+gzip";

    /// <summary>The largest JSON kept as a plain string (characters; the JSON is ASCII, escaped by System.Text.Json).</summary>
    public const int MaxPlainChars = 30_000;

    public const int ChunkBytes = 64 * 1024;

    public const int MaxChunks = 15;

    /// <summary>The longest text kept in a queryable column (the full value is in the payload).</summary>
    public const int MaxColumnChars = 1024;

    /// <summary>A text column value within limits, or null when it is too long to be useful as a column.</summary>
    public static string? Column(string? value) => value is { Length: > MaxColumnChars } ? null : value;

    /// <summary>Adds the payload properties to an entity; returns an estimate of the bytes the entity adds to a batch request.</summary>
    public static long Write(TableEntity entity, byte[] utf8Json, string what)
    {
        if (utf8Json.Length <= MaxPlainChars && IsAscii(utf8Json))
        {
            entity[EncodingProperty] = PlainJson;
            entity[JsonProperty] = Encoding.ASCII.GetString(utf8Json);
            return utf8Json.Length + 512;
        }

        byte[] compressed;
        using (var output = new MemoryStream())
        {
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(utf8Json);
            }

            compressed = output.ToArray();
        }

        var chunks = (compressed.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new StorageException(StorageFaultKind.RecordTooLarge,
                $"{what}: {utf8Json.Length} bytes of JSON compress to {compressed.Length}, more than the {MaxChunks * ChunkBytes} an entity can hold");
        }

        entity[EncodingProperty] = GzipJson;
        entity[ChunksProperty] = chunks;
        entity[LengthProperty] = utf8Json.Length;
        for (var i = 0; i < chunks; i++)
        {
            var start = i * ChunkBytes;
            entity[ChunkName(i)] = compressed.AsSpan(start, Math.Min(ChunkBytes, compressed.Length - start)).ToArray();
        }

        // Binary travels base64 in the batch request.
        return (compressed.Length * 4L / 3) + 512 + (chunks * 32);
    }

    /// <summary>The record's JSON from an entity written by <see cref="Write"/>.</summary>
    public static byte[] Read(TableEntity entity)
    {
        var encoding = entity.GetString(EncodingProperty);
        switch (encoding)
        {
            case PlainJson:
                return Encoding.UTF8.GetBytes(entity.GetString(JsonProperty) ?? throw Corrupt(entity, "no Json property"));
            case GzipJson:
                var chunks = entity.GetInt32(ChunksProperty) ?? throw Corrupt(entity, "no Chunks property");
                using (var compressed = new MemoryStream())
                {
                    for (var i = 0; i < chunks; i++)
                    {
                        var part = entity.GetBinary(ChunkName(i)) ?? throw Corrupt(entity, $"chunk {i} of {chunks} missing");
                        compressed.Write(part);
                    }

                    compressed.Position = 0;
                    using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
                    using var json = new MemoryStream(entity.GetInt32(LengthProperty) ?? 0);
                    gzip.CopyTo(json);
                    return json.ToArray();
                }

            default:
                throw Corrupt(entity, $"unknown encoding '{encoding}'");
        }
    }

    private static string ChunkName(int i) => string.Create(CultureInfo.InvariantCulture, $"Data{i:D2}");

    private static bool IsAscii(ReadOnlySpan<byte> bytes) => System.Text.Ascii.IsValid(bytes);

    private static StorageException Corrupt(TableEntity entity, string problem) =>
        new(StorageFaultKind.Corrupt, $"entity {entity.PartitionKey}/{entity.RowKey}: {problem}");
}
