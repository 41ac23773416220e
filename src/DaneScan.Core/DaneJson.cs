using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaneScan.Core;

/// <summary>A versioned JSON document: what it holds, in which schema version.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Schema">"danescan.domain-scan" or "danescan.domain-verdict".</param>
/// <param name="Version">The schema version of <paramref name="Payload"/>.</param>
/// <param name="Payload">The observation or verdict.</param>
public sealed record JsonDocumentEnvelope<T>(string Schema, int Version, T Payload);

/// <summary>
/// Versioned JSON for observations and verdicts (System.Text.Json): camelCase names, enums as their names,
/// TLSA association data as lower-case hex, certificates as base64 DER. Read back, a scan gives the same verdict.
/// </summary>
public static class DaneJson
{
    public const string ScanSchema = "danescan.domain-scan";
    public const string VerdictSchema = "danescan.domain-verdict";

    /// <summary>The version of the scan (observation) schema written; readers accept this and older.</summary>
    public const int ScanVersion = 1;

    /// <summary>The version of the verdict schema written.</summary>
    public const int VerdictVersion = 1;

    /// <summary>The options every DaneScan JSON document uses (read-only once used).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions(indented: false);

    /// <summary>The same, indented for humans.</summary>
    public static JsonSerializerOptions IndentedOptions { get; } = CreateOptions(indented: true);

    public static string SerializeScan(DomainScan scan, bool indented = false) =>
        JsonSerializer.Serialize(new JsonDocumentEnvelope<DomainScan>(ScanSchema, ScanVersion, scan), indented ? IndentedOptions : Options);

    /// <summary>Reads a scan document; throws <see cref="JsonException"/> for another schema or a newer version.</summary>
    public static DomainScan DeserializeScan(string json) => Read<DomainScan>(json, ScanSchema, ScanVersion);

    public static string SerializeVerdict(DomainVerdict verdict, bool indented = false) =>
        JsonSerializer.Serialize(new JsonDocumentEnvelope<DomainVerdict>(VerdictSchema, VerdictVersion, verdict), indented ? IndentedOptions : Options);

    /// <summary>Reads a verdict document; throws <see cref="JsonException"/> for another schema or a newer version.</summary>
    public static DomainVerdict DeserializeVerdict(string json) => Read<DomainVerdict>(json, VerdictSchema, VerdictVersion);

    private static T Read<T>(string json, string schema, int version)
    {
        ArgumentNullException.ThrowIfNull(json);
        var doc = JsonSerializer.Deserialize<JsonDocumentEnvelope<T>>(json, Options)
            ?? throw new JsonException("Empty document.");
        if (doc.Schema != schema)
        {
            throw new JsonException($"Expected a '{schema}' document, got '{doc.Schema}'.");
        }

        if (doc.Version < 1 || doc.Version > version)
        {
            throw new JsonException($"'{schema}' version {doc.Version} is not supported (this build reads 1-{version}).");
        }

        return doc.Payload ?? throw new JsonException("The document has no payload.");
    }

    private static JsonSerializerOptions CreateOptions(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        };
        options.Converters.Add(new TlsaRecordJsonConverter());
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: true));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// A TLSA record as {"usage":"DaneEe","selector":"Spki","matchingType":"Sha2_256","data":"&lt;hex&gt;"};
/// values without a name (for example usage 4) are written as numbers, and numbers are read back.
/// </summary>
public sealed class TlsaRecordJsonConverter : JsonConverter<TlsaRecord>
{
    public override TlsaRecord Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A TLSA record must be an object.");
        }

        byte? usage = null, selector = null, matching = null;
        byte[]? data = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "usage":
                    usage = ReadField<TlsaUsage>(ref reader);
                    break;
                case "selector":
                    selector = ReadField<TlsaSelector>(ref reader);
                    break;
                case "matchingType":
                    matching = ReadField<TlsaMatchingType>(ref reader);
                    break;
                case "data":
                    try
                    {
                        data = Convert.FromHexString(reader.GetString() ?? "");
                    }
                    catch (FormatException e)
                    {
                        throw new JsonException("TLSA data must be hex.", e);
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (usage is null || selector is null || matching is null || data is null)
        {
            throw new JsonException("A TLSA record needs usage, selector, matchingType and data.");
        }

        return new TlsaRecord((TlsaUsage)usage.Value, (TlsaSelector)selector.Value, (TlsaMatchingType)matching.Value, data);
    }

    public override void Write(Utf8JsonWriter writer, TlsaRecord value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        WriteField(writer, "usage", value.Usage);
        WriteField(writer, "selector", value.Selector);
        WriteField(writer, "matchingType", value.MatchingType);
        writer.WriteString("data", Convert.ToHexStringLower(value.Data));
        writer.WriteEndObject();
    }

    private static byte ReadField<TEnum>(ref Utf8JsonReader reader)
        where TEnum : struct, Enum
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out var b))
        {
            return b;
        }

        if (reader.TokenType == JsonTokenType.String && Enum.TryParse<TEnum>(reader.GetString(), ignoreCase: false, out var e) &&
            Enum.IsDefined(e))
        {
            return Convert.ToByte(e, System.Globalization.CultureInfo.InvariantCulture);
        }

        throw new JsonException($"Invalid {typeof(TEnum).Name}.");
    }

    private static void WriteField<TEnum>(Utf8JsonWriter writer, string name, TEnum value)
        where TEnum : struct, Enum
    {
        if (Enum.IsDefined(value))
        {
            writer.WriteString(name, value.ToString());
        }
        else
        {
            writer.WriteNumber(name, Convert.ToByte(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
