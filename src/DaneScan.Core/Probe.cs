namespace DaneScan.Core;

/// <summary>How far an SMTP probe of one (host, address) got, and how it ended.</summary>
public enum ProbeOutcome
{
    /// <summary>TLS was established after STARTTLS; the chain is in the observation.</summary>
    TlsEstablished,

    /// <summary>TCP connect refused, reset or unroutable.</summary>
    Unreachable,

    /// <summary>A step's deadline passed (see <see cref="ProbeObservation.FailedStage"/>).</summary>
    Timeout,

    /// <summary>The server spoke something that is not SMTP, or too much of it (size bounds).</summary>
    ProtocolError,

    /// <summary>The server's banner or EHLO reply was a 4xx/5xx refusal.</summary>
    ServiceRefused,

    /// <summary>EHLO succeeded but did not offer STARTTLS.</summary>
    StartTlsNotOffered,

    /// <summary>STARTTLS was offered but answered with a non-220 reply (for example 454).</summary>
    StartTlsRejected,

    /// <summary>The TLS handshake failed (alert, reset, garbage instead of TLS).</summary>
    TlsHandshakeFailed,

    /// <summary>Not probed by policy: opted out, reserved address, or not needed.</summary>
    NotProbed,

    /// <summary>
    /// TLS was established after STARTTLS (the chain is in the observation), but the encrypted session could not
    /// carry SMTP: EHLO after the handshake got no 250 reply (the server closed the connection, sent an alert or
    /// garbage, refused, or let the deadline pass). No sender can deliver over it (docs/output.md).
    /// </summary>
    TlsSessionFailed,
}

/// <summary>Why a probe was not made (<see cref="ProbeOutcome.NotProbed"/>).</summary>
public enum ProbeSkipReason
{
    None,
    OptedOut,
    ReservedAddress,
    Policy,
}

/// <summary>The step of an SMTP probe.</summary>
public enum ProbeStage
{
    Connect,
    Banner,
    Ehlo,
    StartTls,
    TlsHandshake,
    EhloAfterTls,
    Quit,
}

/// <summary>
/// What one SMTP probe of one (TLSA base, address) saw. Raw enough to judge again later: the whole
/// presented chain is kept as DER, leaf first.
/// </summary>
public sealed record ProbeObservation
{
    /// <summary>
    /// The MX host name as published (A-labels, no trailing dot). The verdict finds a host's probes by this name
    /// (or by its TLSA base domain) and by <see cref="Address"/>.
    /// </summary>
    public required string Host { get; init; }

    public required string Address { get; init; }

    public int Port { get; init; } = 25;

    /// <summary>The SNI sent: the TLSA base domain (RFC 7671 §10.2), or null when none was sent.</summary>
    public string? ServerName { get; init; }

    public DateTimeOffset StartedUtc { get; init; }

    public required ProbeOutcome Outcome { get; init; }

    /// <summary>The step that failed, when the outcome is not <see cref="ProbeOutcome.TlsEstablished"/>.</summary>
    public ProbeStage? FailedStage { get; init; }

    /// <summary>Why the probe was not made, when <see cref="Outcome"/> is <see cref="ProbeOutcome.NotProbed"/>.</summary>
    public ProbeSkipReason SkipReason { get; init; }

    /// <summary>For humans: a reply line, an exception message, a policy reason.</summary>
    public string? Detail { get; init; }

    public string? Banner { get; init; }

    /// <summary>EHLO keywords offered before STARTTLS (upper case, for example "STARTTLS", "PIPELINING").</summary>
    public IReadOnlyList<string> EhloKeywords { get; init; } = [];

    public bool StartTlsOffered { get; init; }

    /// <summary>The reply to STARTTLS, for example "220 2.0.0 Ready" or "454 4.7.0 TLS not available".</summary>
    public string? StartTlsReply { get; init; }

    /// <summary>The negotiated protocol, for example "Tls13".</summary>
    public string? TlsProtocol { get; init; }

    /// <summary>The negotiated cipher suite, for example "TLS_AES_256_GCM_SHA384".</summary>
    public string? CipherSuite { get; init; }

    /// <summary>The leaf's key, for example "ECDSA P-256" or "RSA 2048".</summary>
    public string? LeafKey { get; init; }

    /// <summary>The chain as the server presented it, DER, leaf first.</summary>
    public IReadOnlyList<byte[]> PresentedChain { get; init; } = [];

    /// <summary>Whether EHLO after the handshake succeeded (false with <see cref="ProbeOutcome.TlsSessionFailed"/>).</summary>
    public bool? EhloAfterTlsOk { get; init; }

    /// <summary>Milliseconds per step, keyed by <see cref="ProbeStage"/> name.</summary>
    public IReadOnlyDictionary<string, double> TimingsMs { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// When the probe was retried (its connection was refused or timed out), what the earlier attempts saw,
    /// oldest first; this observation is the last attempt. Null (absent from the JSON) when it was made once.
    /// </summary>
    public IReadOnlyList<ProbeAttempt>? EarlierAttempts { get; init; }

    /// <summary>True when the probe was made more than once.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Retried => EarlierAttempts is { Count: > 0 };
}

/// <summary>What one earlier attempt of a retried probe saw: when it started and how it ended.</summary>
public sealed record ProbeAttempt
{
    public DateTimeOffset StartedUtc { get; init; }

    public required ProbeOutcome Outcome { get; init; }

    public ProbeStage? FailedStage { get; init; }

    public string? Detail { get; init; }
}
