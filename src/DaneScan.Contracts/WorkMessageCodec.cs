using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaneScan.Contracts;

/// <summary>Why a message body could not be turned into a work message. Poison messages are data, not exceptions.</summary>
public enum DecodeFailure
{
    None = 0,

    /// <summary>The body is not JSON, or not a JSON object, or lacks a required member.</summary>
    MalformedJson,

    /// <summary>The body names a kind other than the one the queue carries.</summary>
    WrongKind,

    /// <summary>The body's schema version is one this build does not understand.</summary>
    UnknownSchemaVersion,

    /// <summary>The body parsed but a value is out of range (empty run id, empty domain list, bad port, ...).</summary>
    InvalidContent,
}

/// <summary>The outcome of decoding one message body.</summary>
public sealed record DecodeResult<T>(T? Message, DecodeFailure Failure, string? Detail)
    where T : class
{
    public bool Succeeded => Failure == DecodeFailure.None && Message is not null;

    internal static DecodeResult<T> Ok(T message) => new(message, DecodeFailure.None, null);

    internal static DecodeResult<T> Fail(DecodeFailure failure, string detail) => new(null, failure, detail);
}

/// <summary>Versioned JSON encoding of the work messages; the one place that knows their wire form.</summary>
public static class WorkMessageCodec
{
    /// <summary>Upper bound on a message body this codec will parse (Service Bus Standard caps messages at 256 KB).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private const int MaxHostLength = 253;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static byte[] Encode(ResolveBatch batch) => JsonSerializer.SerializeToUtf8Bytes(batch, JsonOptions);

    public static byte[] Encode(ProbeRequest request) => JsonSerializer.SerializeToUtf8Bytes(request, JsonOptions);

    public static DecodeResult<ResolveBatch> DecodeResolveBatch(ReadOnlySpan<byte> body)
    {
        var head = ReadHead(body, WorkMessageKinds.ResolveBatch, ResolveBatch.CurrentSchemaVersion);
        if (head is not null)
        {
            return DecodeResult<ResolveBatch>.Fail(head.Value.Failure, head.Value.Detail);
        }

        ResolveBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize<ResolveBatch>(body, JsonOptions);
        }
        catch (JsonException ex)
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.MalformedJson, ex.Message);
        }

        if (batch is null)
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.MalformedJson, "the body is JSON null");
        }

        if (string.IsNullOrWhiteSpace(batch.RunId))
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.InvalidContent, "runId is empty");
        }

        if (batch.Domains is null || batch.Domains.Count == 0)
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.InvalidContent, "domains is empty");
        }

        for (var i = 0; i < batch.Domains.Count; i++)
        {
            var d = batch.Domains[i];
            if (string.IsNullOrWhiteSpace(d) || d.Length > MaxHostLength)
            {
                return DecodeResult<ResolveBatch>.Fail(DecodeFailure.InvalidContent, $"domains[{i}] is empty or longer than {MaxHostLength} characters");
            }
        }

        if (batch.Ranks is { } ranks && ranks.Count != batch.Domains.Count)
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.InvalidContent, $"ranks has {ranks.Count} entries for {batch.Domains.Count} domains");
        }

        if (batch.Ranks?.Select((r, i) => (r, i)).FirstOrDefault(x => x.r is < 1) is { r: not null } bad)
        {
            return DecodeResult<ResolveBatch>.Fail(DecodeFailure.InvalidContent, $"ranks[{bad.i}] is {bad.r}: a rank is at least 1");
        }

        return DecodeResult<ResolveBatch>.Ok(batch);
    }

    public static DecodeResult<ProbeRequest> DecodeProbeRequest(ReadOnlySpan<byte> body)
    {
        var head = ReadHead(body, WorkMessageKinds.ProbeRequest, ProbeRequest.CurrentSchemaVersion);
        if (head is not null)
        {
            return DecodeResult<ProbeRequest>.Fail(head.Value.Failure, head.Value.Detail);
        }

        ProbeRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<ProbeRequest>(body, JsonOptions);
        }
        catch (JsonException ex)
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.MalformedJson, ex.Message);
        }

        if (request is null)
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.MalformedJson, "the body is JSON null");
        }

        if (string.IsNullOrWhiteSpace(request.RunId))
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.InvalidContent, "runId is empty");
        }

        if (string.IsNullOrWhiteSpace(request.Host) || request.Host.Length > MaxHostLength)
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.InvalidContent, "host is empty or too long");
        }

        if (!System.Net.IPAddress.TryParse(request.Address, out _))
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.InvalidContent, "address is not an IP address");
        }

        if (request.Port is < 1 or > 65535)
        {
            return DecodeResult<ProbeRequest>.Fail(DecodeFailure.InvalidContent, "port is out of range");
        }

        return DecodeResult<ProbeRequest>.Ok(request);
    }

    /// <summary>Checks size, JSON object shape, kind and version before the typed parse; null when they are acceptable.</summary>
    private static (DecodeFailure Failure, string Detail)? ReadHead(ReadOnlySpan<byte> body, string expectedKind, int supportedVersion)
    {
        if (body.Length > MaxBodyBytes)
        {
            return (DecodeFailure.MalformedJson, $"body is {body.Length} bytes, above the {MaxBodyBytes}-byte bound");
        }

        string? kind = null;
        int? version = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (DecodeFailure.MalformedJson, "the body is not a JSON object");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("kind"u8))
                {
                    reader.Read();
                    kind = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("v"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v))
                    {
                        version = v;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Walk the rest so that truncated or trailing-garbage bodies are caught here.
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            return (DecodeFailure.MalformedJson, ex.Message);
        }

        if (kind is null)
        {
            return (DecodeFailure.MalformedJson, "the body has no \"kind\" string");
        }

        if (!string.Equals(kind, expectedKind, StringComparison.Ordinal))
        {
            return (DecodeFailure.WrongKind, $"kind is \"{kind}\", expected \"{expectedKind}\"");
        }

        if (version is null)
        {
            return (DecodeFailure.MalformedJson, "the body has no integer \"v\" (schema version)");
        }

        if (version != supportedVersion)
        {
            return (DecodeFailure.UnknownSchemaVersion, $"schema version {version} of {kind} is not supported (this build reads {supportedVersion})");
        }

        return null;
    }

    /// <summary>Renders a body for logs: UTF-8 text, cut to a bounded length.</summary>
    public static string Preview(ReadOnlySpan<byte> body, int maxChars = 200)
    {
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, maxChars * 4)]);
        return text.Length <= maxChars ? text : string.Concat(text.AsSpan(0, maxChars), "…");
    }
}
