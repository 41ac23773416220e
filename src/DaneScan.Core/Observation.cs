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
    /// The CNAME record of each name of the address answer's chain, looked up on its own, in order from the host
    /// name (RFC 7672 §2.2.2): made only when an address RRset was insecure and came through CNAMEs, and stopped
    /// at the first that did not validate. The first tells an insecure host name from a secure CNAME to an
    /// insecure target (<see cref="AddressChain.Classify(MxHostObservation)"/>). Empty otherwise, and in
    /// observations made before rules version 2026-12-02.1 (which then read as an insecure host name).
    /// </summary>
    public IReadOnlyList<RrsetObservation<string>> CnameLookups { get; init; } = [];

    /// <summary>
    /// The name whose own answer was the first of the chain not to validate (<see cref="AddressChain.InsecureAt"/>):
    /// derived from <see cref="A"/>, <see cref="Aaaa"/> and <see cref="CnameLookups"/>, written for readers of the
    /// JSON and ignored when it is read back. Null when no address RRset is insecure.
    /// </summary>
    public string? InsecureAt => AddressChain.InsecureAt(this);

    /// <summary>
    /// TLSA lookups in the order tried (RFC 7672 §2.2.2, §2.2.3): with a chain secure to its end, at the
    /// CNAME-expanded name first, then at the original name when the first was securely denied; in the insecure
    /// CNAME case (a secure CNAME at the host name, an insecure link or address RRset later), at the original
    /// name only. Empty when no TLSA lookup was due (insecure host name, no addresses, address lookup failed).
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
