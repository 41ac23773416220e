using System.Security.Authentication;

namespace DaneScan.Lab.Smtp;

/// <summary>What a scripted host does with STARTTLS.</summary>
public enum StartTlsBehaviour
{
    /// <summary>250-STARTTLS advertised; 220 then a real TLS handshake.</summary>
    Offered,

    /// <summary>EHLO without STARTTLS; STARTTLS answered 502.</summary>
    NotOffered,

    /// <summary>Advertised, answered "454 4.7.0 TLS not available".</summary>
    Refused454,

    /// <summary>220, then the server reads the ClientHello and closes the connection (FIN) without answering.</summary>
    AbortHandshake,

    /// <summary>220, then non-TLS bytes in answer to the ClientHello, then close.</summary>
    GarbageInsteadOfTls,

    /// <summary>220, reads the ClientHello, then resets (RST) the connection.</summary>
    ResetMidHandshake,

    /// <summary>220 and a complete TLS handshake, then the connection is reset (RST) before any SMTP inside TLS.</summary>
    KillAfterHandshake,
}

/// <summary>Misbehaviour of a scripted host beyond STARTTLS.</summary>
public enum SmtpQuirk
{
    None,

    /// <summary>The 220 banner comes only after <see cref="SmtpHostSpec.QuirkDelay"/>.</summary>
    SlowBanner,

    /// <summary>The EHLO reply is a multi-line reply that never ends (250- lines until the client goes away
    /// or the server's connection lifetime ends).</summary>
    EndlessMultilineEhlo,

    /// <summary>The EHLO reply contains one line of 1 MiB (far beyond RFC 5321's 512 octets), then the normal lines.</summary>
    OversizedReply,

    /// <summary>The server accepts the connection and never sends anything.</summary>
    SilentAfterConnect,

    /// <summary>The banner and the first EHLO reply line carry terminal escapes (ESC [2J, an OSC title ended by
    /// BEL, an 8-bit CSI) and a bidi override (U+202E), in UTF-8.</summary>
    HostileText,

    /// <summary>The "220 Ready to start TLS" reply is followed, in the same write, by a plaintext line
    /// ("250 piggybacked..."), before the TLS handshake: a client must not read it as part of TLS or SMTP.</summary>
    PiggybackAfter220,
}

/// <summary>One scripted SMTP host: an address and port, and how it behaves.</summary>
public sealed record SmtpHostSpec
{
    /// <summary>An IPv4 address in 127.0.0.0/8.</summary>
    public required string Address { get; init; }

    /// <summary>The TCP port; 0 binds an ephemeral port (see <see cref="ScriptedSmtpServers.EndpointOf"/>).</summary>
    public int Port { get; init; } = 25;

    /// <summary>Appears in "220 &lt;name&gt; ESMTP" and the first EHLO reply line.</summary>
    public required string BannerName { get; init; }

    public StartTlsBehaviour StartTls { get; init; } = StartTlsBehaviour.Offered;

    /// <summary>None = system default (TLS 1.2 and 1.3); Tls12 or Tls13 to force one.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.None;

    public SmtpQuirk Quirk { get; init; } = SmtpQuirk.None;

    /// <summary>The banner delay for <see cref="SmtpQuirk.SlowBanner"/>.</summary>
    public TimeSpan QuirkDelay { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Do not listen at all (port closed).</summary>
    public bool Closed { get; init; }

    /// <summary>
    /// The address is bound at start but listens only this long afterwards: until then every connection is
    /// refused (RST), after it the host behaves as specified. Zero: listening from the start.
    /// </summary>
    public TimeSpan ListenAfter { get; init; }

    /// <summary>
    /// Every reply (banner included) is sent this long after it is due, a simulated network round-trip time
    /// (the lab's <c>--rtt</c>). Zero: no delay.
    /// </summary>
    public TimeSpan ReplyDelay { get; init; }

    /// <summary>PEM certificates, leaf first: exactly what the server sends. Required when STARTTLS is offered.</summary>
    public string? ChainPemFile { get; init; }

    /// <summary>PEM PKCS#8 private key of the leaf. Required when STARTTLS is offered.</summary>
    public string? KeyPemFile { get; init; }
}
