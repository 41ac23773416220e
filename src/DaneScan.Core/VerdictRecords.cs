namespace DaneScan.Core;

/// <summary>
/// How a sending Postfix would label a TLS session with this host (Postfix TLS_README, `smtp_tls_security_level = dane`).
/// </summary>
public enum TlsTrust
{
    /// <summary>No TLS session a DANE client would accept (failure, not DANE, not judged).</summary>
    None,

    /// <summary>DANE authenticated and the MX RRset is secure: Postfix logs "Verified TLS connection".</summary>
    Verified,

    /// <summary>DANE authenticated but the MX RRset is insecure (host names could be forged): Postfix logs "Trusted".</summary>
    Trusted,

    /// <summary>Encrypt-only (secure TLSA, none usable): Postfix logs "Untrusted".</summary>
    Untrusted,
}

/// <summary>The verdict for one (host, address).</summary>
/// <param name="Address">The IP address as observed.</param>
/// <param name="Outcome">The outcome (docs/dane-rules.md §7).</param>
/// <param name="Reason">Why.</param>
/// <param name="ResultType">The RFC 8460 result type a TLSRPT report would carry, or None.</param>
/// <param name="Match">The TLSA record that authenticated and its depth, when authenticated.</param>
/// <param name="ProbeOutcome">The probe's outcome, when a probe was used.</param>
/// <param name="Detail">For humans: the failed check, the server's reply.</param>
public sealed record AddressVerdict(
    string Address,
    HostOutcome Outcome,
    HostReason Reason,
    Rfc8460ResultType ResultType,
    TlsaMatch? Match,
    ProbeOutcome? ProbeOutcome,
    string? Detail);

/// <summary>
/// The verdict for one MX host, over all its addresses: every address must authenticate, so the worst
/// address decides (<see cref="DaneJudge.Severity"/> orders outcomes). A host-level DNS outcome (insecure
/// addresses, no addresses, TLSA lookup failure, no TLSA) applies to every address alike.
/// </summary>
public sealed record HostVerdict
{
    /// <summary>The MX exchange as published.</summary>
    public required string Name { get; init; }

    public ushort Preference { get; init; }

    public bool Implicit { get; init; }

    /// <summary>True for the hosts with the lowest preference (the primary-MX view).</summary>
    public bool Primary { get; init; }

    /// <summary>The TLSA base domain, when a TLSA lookup was made.</summary>
    public string? TlsaBase { get; init; }

    /// <summary>The outcome of the TLSA lookup that applies, when one was made.</summary>
    public DnsOutcome? TlsaOutcome { get; init; }

    /// <summary>Each published TLSA record with its usability and whether digest agility kept it.</summary>
    public IReadOnlyList<TlsaRecordAssessment> Tlsa { get; init; } = [];

    /// <summary>The names a DANE-TA leaf certificate must carry here.</summary>
    public IReadOnlyList<string> ReferenceIdentifiers { get; init; } = [];

    public required HostOutcome Outcome { get; init; }

    public required HostReason Reason { get; init; }

    public Rfc8460ResultType ResultType { get; init; }

    /// <summary>The match of the first address, when the host authenticated.</summary>
    public TlsaMatch? Match { get; init; }

    public TlsTrust Trust { get; init; }

    public string? Detail { get; init; }

    public IReadOnlyList<AddressVerdict> Addresses { get; init; } = [];

    /// <summary>True when DANE applies to the host: a secure, non-empty TLSA RRset on secure addresses.</summary>
    public bool DaneApplies => Outcome is HostOutcome.Authenticated or HostOutcome.AuthenticationFailed or
        HostOutcome.EncryptOnly or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed or HostOutcome.Unreachable or
        HostOutcome.NotProbed;
}

/// <summary>A best-practice finding (docs/dane-rules.md §8): advice, not a failure.</summary>
/// <param name="Code">What was found.</param>
/// <param name="Host">The MX host it concerns, or null for the domain.</param>
/// <param name="Detail">For humans.</param>
public sealed record Finding(FindingCode Code, string? Host, string Detail);

/// <summary>Best-practice findings (docs/dane-rules.md §8).</summary>
public enum FindingCode
{
    /// <summary>TLSA is published for the recipient domain, but not on the MX host's name where senders look.</summary>
    TlsaOnlyOnRecipientDomain,

    /// <summary>The recipient domain's MX RRset is not DNSSEC-signed (insecure).</summary>
    RecipientDomainUnsigned,

    /// <summary>
    /// The MX host's zone is not DNSSEC-signed (insecure addresses): TLSA cannot apply. Also for a secure CNAME
    /// into an unsigned zone (RFC 7672 §2.2.2): TLSA applies at the host name only.
    /// </summary>
    MxHostZoneUnsigned,

    /// <summary>TLSA records exist in a zone without a secure delegation: senders ignore them.</summary>
    TlsaInInsecureZone,

    /// <summary>The TLSA RRset's TTL lies outside 1,800-3,600 seconds.</summary>
    TlsaTtlOutOfRange,

    /// <summary>A usable record uses selector Cert(0): it breaks at every certificate renewal; SPKI(1) is preferred.</summary>
    CertSelectorUsed,

    /// <summary>DANE-TA(2) is published but the server does not send the full chain up to the anchor.</summary>
    DaneTaWithoutFullChain,

    /// <summary>Fewer than two distinct usable TLSA associations: no rollover scheme (current plus next key, or EE plus TA).</summary>
    NoRolloverScheme,

    /// <summary>Some MX hosts have DANE and others do not: not all MX hosts are covered.</summary>
    NotAllMxHostsCovered,

    /// <summary>Unusable TLSA records are published (PKIX usages, unknown values, wrong digest lengths).</summary>
    UnusableRecordsPublished,

    /// <summary>
    /// The domain names more MX hosts than the scanner judges per domain (its MX host limit): only the most
    /// preferred ones were resolved and judged, as a sender with such a limit would (Postfix caps too).
    /// </summary>
    MxHostsTruncated,
}

/// <summary>
/// The verdict for one destination domain: a pure function of its <see cref="DomainScan"/>
/// (<see cref="DaneJudge.Judge(DomainScan)"/>), so it can be recomputed from stored observations.
/// </summary>
public sealed record DomainVerdict
{
    /// <summary>The version of the rules and code that produced the verdict; change it when a verdict can change.</summary>
    public const string CurrentRulesVersion = "2026-12-02.1";

    public string RulesVersion { get; init; } = CurrentRulesVersion;

    public required string Domain { get; init; }

    public required MxStatus MxStatus { get; init; }

    /// <summary>The MX lookup's own outcome.</summary>
    public DnsOutcome MxOutcome { get; init; }

    /// <summary>`mx_secure`: the MX RRset (or its denial, for implicit MX) is DNSSEC-validated.</summary>
    public bool MxSecure { get; init; }

    /// <summary>The DANE status over the hosts with the lowest preference.</summary>
    public DomainDaneStatus Primary { get; init; }

    /// <summary>The DANE status over all MX hosts.</summary>
    public DomainDaneStatus All { get; init; }

    /// <summary>The trust of the DNS answers behind the verdict.</summary>
    public DnsTrustMode TrustMode { get; init; }

    public IReadOnlyList<HostVerdict> Hosts { get; init; } = [];

    public IReadOnlyList<Finding> Findings { get; init; } = [];
}
