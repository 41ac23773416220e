using System.Text.Json;
using System.Text.Json.Serialization;
using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Storage;

/// <summary>One stored line: the record's key first (so that a reader can index without parsing the record), then the record.</summary>
internal sealed record StoredLine<T>(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("record")] T Record);

/// <summary>The JSON of stored records: the Core options (camelCase, enums by name, TLSA data as hex, DER as base64).</summary>
public static class RecordJson
{
    public static JsonSerializerOptions Options => DaneJson.Options;

    public static JsonSerializerOptions IndentedOptions => DaneJson.IndentedOptions;

    /// <summary>The key of a domain record: the domain.</summary>
    public static string DomainKey(string domain) => domain;

    /// <summary>The key of a probe record: "host|address".</summary>
    public static string ProbeKey(string host, string address) => Contracts.ProbeKey.Of(host, address);

    public static string Key(DomainRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return DomainKey(record.Domain);
    }

    public static string Key(ProbeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ProbeKey(record.Host, record.Address);
    }

    public static byte[] Serialize<T>(T record) => JsonSerializer.SerializeToUtf8Bytes(record, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new StorageException(StorageFaultKind.Corrupt, $"empty {typeof(T).Name}");
}
