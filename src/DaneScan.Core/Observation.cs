using System.Text.Json.Serialization;

namespace DaneScan.Core;

/// <summary>What the resolver was and how far it was trusted.</summary>
public sealed record ResolverInfo(string Endpoint, DnsTrustMode TrustMode);

/// <summary>The DNS side of one MX host of a domain (RFC 7672 §2.2.2, §2.2.3).</summary>
public sealed record MxHostObservation
{
    /// <summary>The MX exchange as published, before any CNAME expansion (A-labels, no trailing dot).</summary>
    public required string Name { get; init; }

    public ushort Preference { get; init; }

    /// <summary>True when the host is the domain itself (implicit MX, RFC 5321 §5.1).</summary>
    public bool Implicit { get; init; }

    public required RrsetObservation<string> A { get; init; }

    public required RrsetObservation<string> Aaaa { get; init; }

    /// <summary>
    /// TLSA lookups in the order tried (RFC 7672 §2.2.3): at the CNAME-expanded name first, then at the
    /// original name when the first was securely denied. Empty when no TLSA lookup was due (insecure host,
    /// no addresses, address lookup failed).
    /// </summary>
    public IReadOnlyList<RrsetObservation<TlsaRecord>> TlsaLookups { get; init; } = [];

    /// <summary>The lookup whose answer applies, the last one tried, if any.</summary>
    [JsonIgnore]
    public RrsetObservation<TlsaRecord>? Tlsa => TlsaLookups.Count == 0 ? null : TlsaLookups[^1];

    /// <summary>The TLSA base domain: the owner of <see cref="Tlsa"/> without "_25._tcp.", and the SNI to send.</summary>
    public string? TlsaBase { get; init; }
}

/// <summary>The DNS observation of one destination domain. Probes are kept apart (deduplicated per run).</summary>
public sealed record DomainObservation
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The destination domain (A-labels, lower case, no trailing dot).</summary>
    public required string Domain { get; init; }

    public DateTimeOffset ObservedUtc { get; init; }

    public required ResolverInfo Resolver { get; init; }

    public required RrsetObservation<MxRecord> Mx { get; init; }

    /// <summary>The MX hosts in preference order (one implicit host when the MX RRset was denied).</summary>
    public IReadOnlyList<MxHostObservation> Hosts { get; init; } = [];

    /// <summary>
    /// Optional: the TLSA lookup at `_25._tcp.&lt;domain&gt;` when the domain is not its own MX host. Senders never
    /// use it; it only feeds the best-practice finding "TLSA published on the recipient domain, not the MX host".
    /// </summary>
    public RrsetObservation<TlsaRecord>? RecipientDomainTlsa { get; init; }
}

/// <summary>A domain's DNS observation with the probes of its hosts' addresses: everything its verdict depends on.</summary>
public sealed record DomainScan(DomainObservation Dns, IReadOnlyList<ProbeObservation> Probes);
