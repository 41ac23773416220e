namespace DaneScan.Core;

/// <summary>The outcome for one MX host, or one of its addresses (docs/dane-rules.md §7).</summary>
public enum HostOutcome
{
    /// <summary>A usable TLSA record matched the presented chain.</summary>
    Authenticated,

    /// <summary>DANE applies and the chain did not authenticate (see the reason).</summary>
    AuthenticationFailed,

    /// <summary>A secure TLSA RRset with no usable record: TLS is mandatory, no authentication (RFC 7672 §2.2).</summary>
    EncryptOnly,

    /// <summary>DANE applies and STARTTLS was not offered or was refused.</summary>
    NoStartTls,

    /// <summary>DANE applies and the TLS handshake failed.</summary>
    HandshakeFailed,

    /// <summary>DANE applies and the host could not be reached or spoke no usable SMTP.</summary>
    Unreachable,

    /// <summary>DANE does not apply: no TLSA (denied or insecure), or the host's addresses are insecure.</summary>
    NotDane,

    /// <summary>The TLSA lookup was bogus or failed: a sender must not use this host.</summary>
    TlsaLookupFailed,

    /// <summary>The host name has no A or AAAA records.</summary>
    NoAddresses,

    /// <summary>The host's address lookup was bogus or failed.</summary>
    AddressLookupFailed,

    /// <summary>DANE applies but the host was not probed (policy: opt-out, reserved address).</summary>
    NotProbed,
}

/// <summary>Why: the specific reason behind a <see cref="HostOutcome"/>.</summary>
public enum HostReason
{
    None,

    // Authenticated
    DaneEeMatched,
    DaneTaMatched,

    // AuthenticationFailed
    NoMatchingRecord,
    NameMismatch,
    CertificateExpired,
    CertificateNotYetValid,
    ChainIncomplete,
    ChainInvalid,
    NoCertificatePresented,

    // EncryptOnly
    NoUsableRecords,

    // NoStartTls
    StartTlsNotOffered,
    StartTlsRejected,

    // HandshakeFailed
    TlsHandshakeFailed,

    // Unreachable
    ConnectFailed,
    Timeout,
    SmtpProtocolError,
    ServiceRefused,

    // NotDane
    TlsaSecureDenial,
    TlsaInsecure,
    HostInsecure,

    // TlsaLookupFailed
    TlsaBogus,
    TlsaLookupFailure,

    /// <summary>The host's addresses were secure but the observation holds no TLSA lookup: the verdict cannot assume there is no TLSA.</summary>
    TlsaNotQueried,

    // NoAddresses, AddressLookupFailed
    NoAddressRecords,
    AddressBogus,
    AddressLookupFailure,

    // NotProbed
    OptedOut,
    ReservedAddress,

    /// <summary>Not probed for another policy reason (see the probe's detail).</summary>
    NotProbedByPolicy,

    /// <summary>DANE applies but the scan holds no probe of this address.</summary>
    ProbeMissing,

    // AuthenticationFailed
    /// <summary>
    /// DANE-TA: every path from the leaf towards a matching anchor is longer than
    /// <see cref="DaneMatcher.MaxPathLength"/> certificates, the bound of what is judged.
    /// </summary>
    ChainTooLong,

    // Unreachable
    /// <summary>
    /// TLS was established, but the encrypted session carried no SMTP (EHLO after the handshake failed:
    /// closed, alert, garbage, refusal, deadline). The chain authenticated or DANE was encrypt-only; no sender
    /// could deliver (<see cref="ProbeOutcome.TlsSessionFailed"/>).
    /// </summary>
    TlsSessionFailed,
}

/// <summary>RFC 8460 §4.3 result types a failure maps to, where one fits.</summary>
public enum Rfc8460ResultType
{
    None,
    StartTlsNotSupported,
    CertificateHostMismatch,
    CertificateExpired,
    CertificateNotTrusted,
    ValidationFailure,
    TlsaInvalid,
    DnssecInvalid,
    DaneRequired,
}

/// <summary>What became of the destination's MX lookup (docs/dane-rules.md §1).</summary>
public enum MxStatus
{
    /// <summary>One or more MX records; hosts judged.</summary>
    MxHosts,

    /// <summary>No MX RRset (NODATA): the domain is its own host.</summary>
    ImplicitMx,

    /// <summary>A lone null MX (RFC 7505): the domain accepts no mail.</summary>
    NullMx,

    /// <summary>A null MX beside other MX records: a misconfiguration; the other hosts are judged.</summary>
    NullMxMixed,

    /// <summary>The domain does not exist.</summary>
    NxDomain,

    /// <summary>The MX lookup was bogus: a sender would defer.</summary>
    MxBogus,

    /// <summary>The MX lookup failed: a sender would defer.</summary>
    MxLookupFailed,
}

/// <summary>The DANE status of a domain over a set of its hosts (the primary MX hosts, or all of them).</summary>
public enum DomainDaneStatus
{
    /// <summary>Every host in view has DANE and authenticated.</summary>
    Protected,

    /// <summary>Every host in view has DANE; none failed, but at least one is encrypt-only.</summary>
    EncryptOnly,

    /// <summary>Some hosts in view have DANE and authenticate, others have none.</summary>
    Partial,

    /// <summary>At least one host in view has DANE and fails (authentication, STARTTLS, handshake, unreachable, TLSA lookup).</summary>
    Failing,

    /// <summary>No host in view has DANE.</summary>
    NotDane,

    /// <summary>No host to judge: null MX, NXDOMAIN, MX failure, or every host in view without addresses, with a failed address lookup, or not probed.</summary>
    NotApplicable,
}

/// <summary>The RFC 8460 §4.3 spelling of each result type, written once (reports, statistics, exports).</summary>
public static class Rfc8460Names
{
    /// <summary>"starttls-not-supported", ...; "none" for <see cref="Rfc8460ResultType.None"/>.</summary>
    public static string Of(Rfc8460ResultType type) => type switch
    {
        Rfc8460ResultType.StartTlsNotSupported => "starttls-not-supported",
        Rfc8460ResultType.CertificateHostMismatch => "certificate-host-mismatch",
        Rfc8460ResultType.CertificateExpired => "certificate-expired",
        Rfc8460ResultType.CertificateNotTrusted => "certificate-not-trusted",
        Rfc8460ResultType.ValidationFailure => "validation-failure",
        Rfc8460ResultType.TlsaInvalid => "tlsa-invalid",
        Rfc8460ResultType.DnssecInvalid => "dnssec-invalid",
        Rfc8460ResultType.DaneRequired => "dane-required",
        _ => "none",
    };
}
