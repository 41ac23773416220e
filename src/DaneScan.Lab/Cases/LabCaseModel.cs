using System.Security.Authentication;
using DaneScan.Core;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Cases;

/// <summary>How a zone is signed.</summary>
public enum ZoneSigning
{
    /// <summary>Not signed; its delegation carries no DS (an insecure delegation).</summary>
    Unsigned,

    /// <summary>ECDSA P-256 with SHA-256 (algorithm 13).</summary>
    EcdsaP256,

    /// <summary>RSA/SHA-256 (algorithm 8), 2048-bit key.</summary>
    RsaSha256,
}

/// <summary>How a signed zone proves non-existence.</summary>
public enum ZoneDenial
{
    Nsec,

    /// <summary>NSEC3, no salt, 0 extra iterations (RFC 9276).</summary>
    Nsec3,
}

/// <summary>A deliberate fault in a zone or its delegation.</summary>
public enum ZoneFault
{
    None,

    /// <summary>Every signature expired yesterday (signed with an expiration date in the past).</summary>
    ExpiredSignatures,

    /// <summary>The parent publishes a DS of a key the zone does not use.</summary>
    DsMismatch,

    /// <summary>Delegated (with a DS) to a name server address where nothing listens.</summary>
    Unreachable,
}

/// <summary>Which certificate of a host's set-up a TLSA record is computed from.</summary>
public enum CertRole
{
    /// <summary>The leaf (end-entity) certificate the host presents.</summary>
    Leaf,

    /// <summary>The lab's intermediate CA (or the expired one, for hosts whose chain uses it).</summary>
    Intermediate,

    /// <summary>The lab's root CA.</summary>
    Root,

    /// <summary>A certificate with its own key that no host presents: a record that matches nothing.</summary>
    Unrelated,
}

/// <summary>A deliberate change to computed TLSA association data.</summary>
public enum TlsaTweak
{
    None,

    /// <summary>One byte short (a SHA2-256 of 31 bytes, a SHA2-512 of 63 bytes).</summary>
    DropLastByte,

    /// <summary>One byte too many.</summary>
    AppendByte,
}

/// <summary>
/// One TLSA record of a case, computed when the lab starts from the certificates of <see cref="LabHost"/>.
/// Usage, selector and matching type are raw bytes so that unknown values can be published. Unknown
/// selectors select the SubjectPublicKeyInfo and unknown matching types hash with SHA2-256.
/// </summary>
public sealed record TlsaSpec(byte Usage, byte Selector, byte MatchingType, CertRole Of, TlsaTweak Tweak = TlsaTweak.None)
{
    public override string ToString() =>
        $"{Usage} {Selector} {MatchingType} <{Of}{(Tweak == TlsaTweak.None ? string.Empty : ", " + Tweak)}>";
}

/// <summary>The certificate chain a host presents.</summary>
public enum ChainKind
{
    /// <summary>A self-signed leaf, sent alone.</summary>
    SelfSigned,

    /// <summary>A leaf issued by the intermediate CA, sent alone.</summary>
    CaLeafOnly,

    /// <summary>Leaf and intermediate.</summary>
    CaLeafIntermediate,

    /// <summary>Leaf, intermediate and root.</summary>
    CaFullChain,

    /// <summary>A leaf issued by the expired intermediate; leaf, expired intermediate and root are sent.</summary>
    ExpiredIntermediateFullChain,

    /// <summary>
    /// A leaf under <see cref="TlsSetup.DeepCas"/> CAs in a line below the root (each signed by the one above it,
    /// no path length limits); leaf, every CA (lowest first) and root are sent: a chain of DeepCas + 2 certificates.
    /// The CA that issued the leaf is the host's <see cref="CertRole.Intermediate"/>.
    /// </summary>
    DeepChain,
}

/// <summary>The validity period of a leaf.</summary>
public enum CertValidity
{
    /// <summary>now-1d to now+1y.</summary>
    Current,

    /// <summary>now-2y to now-1d.</summary>
    Expired,

    /// <summary>now+30d to now+1y.</summary>
    NotYetValid,
}

/// <summary>
/// The TLS set-up of one SMTP host: the server's STARTTLS behaviour and the certificate chain it presents.
/// Leaf names may use the placeholders <c>{host}</c> (the MX host name as published) and <c>{domain}</c>
/// (the case's domain); null means the host name only.
/// </summary>
public sealed record TlsSetup
{
    public StartTlsBehaviour StartTls { get; init; } = StartTlsBehaviour.Offered;

    public SslProtocols Protocols { get; init; } = SslProtocols.None;

    public SmtpQuirk Quirk { get; init; } = SmtpQuirk.None;

    /// <summary>The port is closed: nothing listens at the host's address.</summary>
    public bool Closed { get; init; }

    public ChainKind Chain { get; init; } = ChainKind.SelfSigned;

    public LabKeyType Key { get; init; } = LabKeyType.EcdsaP256;

    public CertValidity Validity { get; init; } = CertValidity.Current;

    /// <summary>DNS-ID subjectAltNames of the leaf; null = the host name; empty = no SAN (then the CN is used).</summary>
    public IReadOnlyList<string>? LeafNames { get; init; }

    /// <summary>The subject CN of the leaf; null = the first name.</summary>
    public string? CommonName { get; init; }

    /// <summary>For <see cref="ChainKind.DeepChain"/>: how many CAs lie between the leaf and the root.</summary>
    public int DeepCas { get; init; }

    /// <summary>A short human description, for the case table of docs/lab.md.</summary>
    public string Describe()
    {
        if (Closed)
        {
            return "port closed";
        }

        var parts = new List<string>();
        if (StartTls != StartTlsBehaviour.Offered)
        {
            parts.Add(StartTls.ToString());
        }

        if (Quirk != SmtpQuirk.None)
        {
            parts.Add(Quirk.ToString());
        }

        parts.Add(Chain switch
        {
            ChainKind.SelfSigned => "self-signed",
            ChainKind.CaLeafOnly => "CA leaf only",
            ChainKind.CaLeafIntermediate => "leaf+int",
            ChainKind.CaFullChain => "leaf+int+root",
            ChainKind.ExpiredIntermediateFullChain => "leaf+expired int+root",
            ChainKind.DeepChain => $"leaf+{DeepCas} CAs+root ({DeepCas + 2} certificates)",
            _ => Chain.ToString(),
        });
        parts.Add(Key == LabKeyType.Rsa2048 ? "RSA" : "EC");
        if (Validity != CertValidity.Current)
        {
            parts.Add(Validity == CertValidity.Expired ? "expired" : "not yet valid");
        }

        if (LeafNames is not null)
        {
            parts.Add(Core.SafeText.ForTerminal(LeafNames.Count == 0 ? $"no SAN, CN={CommonName}" : "SAN=" + string.Join(",", LeafNames))!);
        }

        if (Protocols != SslProtocols.None)
        {
            parts.Add(Protocols.ToString());
        }

        return string.Join(", ", parts);
    }
}

/// <summary>What the rules expect for one MX host (docs/dane-rules.md §7).</summary>
/// <param name="Outcome">The host outcome.</param>
/// <param name="Reason">The reason.</param>
/// <param name="MatchedTlsa">For authenticated hosts, the record that matched (as published at the TLSA base).</param>
/// <param name="MatchedDepth">For authenticated hosts, the chain depth of the match (0 = leaf).</param>
public sealed record ExpectedHost(HostOutcome Outcome, HostReason Reason, TlsaSpec? MatchedTlsa = null, int? MatchedDepth = null);

/// <summary>
/// One MX host of a case: its name as published in the MX RRset, its TLS set-up and what the rules expect.
/// Every host gets its own 127.x address (unless it has none in DNS) and its own SMTP server.
/// </summary>
public sealed record LabHost
{
    /// <summary>The MX exchange as published (or the domain itself for implicit MX), no trailing dot.</summary>
    public required string Name { get; init; }

    public ushort Preference { get; init; } = 10;

    public TlsSetup Tls { get; init; } = new();

    /// <summary>The TLSA base domain a scanner should end up using (the SNI to send); null when no TLSA applies.</summary>
    public string? TlsaBase { get; init; }

    public required ExpectedHost Expected { get; init; }

    /// <summary>False when the host has no address in DNS (no SMTP server is started for it).</summary>
    public bool HasAddress { get; init; } = true;
}

/// <summary>What the rules expect for one RRset, checked with dig/delv against the lab's unbound.</summary>
public sealed record ExpectedRrset(string Name, string Type, DnsOutcome Outcome)
{
    public override string ToString() => $"{Name} {Type} {Outcome}";
}

/// <summary>A record in a lab zone. Data may be computed at start (addresses of hosts, TLSA data).</summary>
public sealed record ZoneRecord
{
    /// <summary>Owner name, absolute, without trailing dot.</summary>
    public required string Owner { get; init; }

    public required string Type { get; init; }

    /// <summary>Presentation-format data, or null when computed.</summary>
    public string? Data { get; init; }

    /// <summary>For an A record: the host whose lab address it holds.</summary>
    public string? AddressOf { get; init; }

    /// <summary>For a TLSA record: the host whose certificates it is computed from, and how.</summary>
    public string? TlsaHost { get; init; }

    public TlsaSpec? Tlsa { get; init; }

    /// <summary>Change the data after signing so that the signature no longer matches (bogus).</summary>
    public bool TamperAfterSigning { get; init; }

    public uint? Ttl { get; init; }
}

/// <summary>A zone of a case. Its parent (the longest enclosing lab zone) gets the delegation.</summary>
public sealed record ZoneSpec
{
    /// <summary>The zone origin, without trailing dot.</summary>
    public required string Origin { get; init; }

    public ZoneSigning Signing { get; init; } = ZoneSigning.EcdsaP256;

    public ZoneDenial Denial { get; init; } = ZoneDenial.Nsec;

    public ZoneFault Fault { get; init; } = ZoneFault.None;

    public IReadOnlyList<ZoneRecord> Records { get; init; } = [];

    public string Describe()
    {
        var s = Signing switch
        {
            ZoneSigning.Unsigned => "unsigned",
            ZoneSigning.EcdsaP256 => "ECDSA",
            _ => "RSA",
        };
        if (Signing != ZoneSigning.Unsigned)
        {
            s += Denial == ZoneDenial.Nsec3 ? "/NSEC3" : "/NSEC";
        }

        return Fault == ZoneFault.None ? s : s + ", " + Fault;
    }
}

/// <summary>What the rules expect for the whole domain.</summary>
public sealed record ExpectedDomain
{
    public required MxStatus Mx { get; init; }

    /// <summary>True when the MX RRset (or its denial) is DNSSEC-secure.</summary>
    public required bool MxSecure { get; init; }

    public required DomainDaneStatus AllMx { get; init; }

    public required DomainDaneStatus PrimaryMx { get; init; }
}

/// <summary>One case of the catalogue: a destination domain with its DNS and TLS set-up and expected outcome.</summary>
public sealed record LabCase
{
    /// <summary>Short stable identifier, also the first label of <see cref="Domain"/>.</summary>
    public required string Id { get; init; }

    /// <summary>The destination domain, no trailing dot.</summary>
    public required string Domain { get; init; }

    public required string Description { get; init; }

    /// <summary>The rule of docs/dane-rules.md (and RFC section) the case exercises.</summary>
    public required string Rule { get; init; }

    public required IReadOnlyList<ZoneSpec> Zones { get; init; }

    /// <summary>The MX hosts (or the implicit host), in preference order.</summary>
    public required IReadOnlyList<LabHost> Hosts { get; init; }

    public required ExpectedDomain Expected { get; init; }

    /// <summary>The intended DNSSEC status of each relevant RRset.</summary>
    public required IReadOnlyList<ExpectedRrset> Rrsets { get; init; }
}
