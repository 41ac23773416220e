using System.Text.Json.Serialization;

namespace DaneScan.Contracts;

/// <summary>
/// The kinds of work message that travel between the stages (Service Bus queues in Azure, channels locally).
/// The kind is written into every message body so a message that lands on the wrong queue is recognised.
/// </summary>
public static class WorkMessageKinds
{
    public const string ResolveBatch = "danescan.resolve-batch";
    public const string ProbeRequest = "danescan.probe-request";
}

/// <summary>
/// A batch of destination domains for the resolve stage. Domains are already normalised by the enumerate
/// stage (A-labels, lower case, no trailing dot). JSON shape, schema version 1:
/// <c>{"kind":"danescan.resolve-batch","v":1,"runId":"...","batch":0,"domains":["example.com",...],"ranks":[1,...]}</c>
/// (<c>ranks</c> only when the list carries ranks).
/// </summary>
public sealed record ResolveBatch
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("kind")]
    [JsonPropertyOrder(-3)]
    public string Kind { get; init; } = WorkMessageKinds.ResolveBatch;

    [JsonPropertyName("v")]
    [JsonPropertyOrder(-2)]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    [JsonPropertyName("runId")]
    public required string RunId { get; init; }

    /// <summary>The batch's position in the run's enumeration (0-based), for logs and progress only.</summary>
    [JsonPropertyName("batch")]
    public int BatchIndex { get; init; }

    [JsonPropertyName("domains")]
    public required IReadOnlyList<string> Domains { get; init; }

    /// <summary>
    /// The list rank of each domain (same length and order as <see cref="Domains"/>, null where a domain has
    /// none), or absent when no domain of the batch has one. Optional: a version-1 reader without it ignores it.
    /// </summary>
    [JsonPropertyName("ranks")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<long?>? Ranks { get; init; }

    /// <summary>The rank of <see cref="Domains"/>[<paramref name="index"/>], if the list gave one.</summary>
    public long? RankOf(int index) => Ranks is { } r && index >= 0 && index < r.Count ? r[index] : null;
}

/// <summary>A domain as an enumerated list gave it: the normalised name and its rank, if the list is ranked.</summary>
public readonly record struct ListedDomain(string Name, long? Rank);

/// <summary>
/// One (MX host, address) to probe on port 25, claimed once per run by the first domain that needed it.
/// JSON shape, schema version 1:
/// <c>{"kind":"danescan.probe-request","v":1,"runId":"...","host":"mx.example.net","address":"192.0.2.1","sni":"mx.example.net","port":25}</c>.
/// </summary>
public sealed record ProbeRequest
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("kind")]
    [JsonPropertyOrder(-3)]
    public string Kind { get; init; } = WorkMessageKinds.ProbeRequest;

    [JsonPropertyName("v")]
    [JsonPropertyOrder(-2)]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    [JsonPropertyName("runId")]
    public required string RunId { get; init; }

    /// <summary>The MX host name as published (A-labels, no trailing dot).</summary>
    [JsonPropertyName("host")]
    public required string Host { get; init; }

    /// <summary>The IPv4 or IPv6 address to connect to, in its canonical text form.</summary>
    [JsonPropertyName("address")]
    public required string Address { get; init; }

    /// <summary>
    /// The SNI to send in the TLS handshake: the TLSA base domain (RFC 7672 §8.1); null when the host has
    /// no usable TLSA records and the probe only records what the server offers.
    /// </summary>
    [JsonPropertyName("sni")]
    public string? Sni { get; init; }

    [JsonPropertyName("port")]
    public int Port { get; init; } = 25;
}
