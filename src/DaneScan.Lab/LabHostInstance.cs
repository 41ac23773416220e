using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab;

/// <summary>
/// One MX host of a case as a running lab made it: its address and port, the SMTP server's specification
/// (STARTTLS behaviour, quirks, the exact chain it presents) and the TLSA records computed from its certificates.
/// </summary>
public sealed class LabHostInstance
{
    private readonly X509Certificate2 _issuer;
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _unrelated;

    internal LabHostInstance(
        LabCase labCase, LabHost host, IPAddress? address, int port, SmtpHostSpec? smtp, IReadOnlyList<X509Certificate2> presentedChain,
        X509Certificate2 leaf, X509Certificate2 issuer, X509Certificate2 root, X509Certificate2 unrelated)
    {
        Case = labCase;
        Host = host;
        Address = address;
        Port = port;
        Smtp = smtp;
        PresentedChain = presentedChain;
        Leaf = leaf;
        _issuer = issuer;
        _root = root;
        _unrelated = unrelated;
    }

    public LabCase Case { get; }

    public LabHost Host { get; }

    /// <summary>The MX host name as published.</summary>
    public string Name => Host.Name;

    /// <summary>The host's address, null when it has none in DNS.</summary>
    public IPAddress? Address { get; }

    public int Port { get; }

    /// <summary>The SMTP server's specification, null when the host has no address.</summary>
    public SmtpHostSpec? Smtp { get; }

    /// <summary>The chain the server presents, leaf first (what it sends, not what validates).</summary>
    public IReadOnlyList<X509Certificate2> PresentedChain { get; }

    public X509Certificate2 Leaf { get; }

    /// <summary>The TLSA record a spec of this host's case becomes.</summary>
    public TlsaRecord Tlsa(TlsaSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var cert = spec.Of switch
        {
            CertRole.Leaf => Leaf,
            CertRole.Intermediate => _issuer,
            CertRole.Root => _root,
            _ => _unrelated,
        };
        var content = spec.Selector == 0 ? cert.RawData : cert.PublicKey.ExportSubjectPublicKeyInfo();
        var data = spec.MatchingType switch
        {
            0 => content,
            2 => SHA512.HashData(content),
            _ => SHA256.HashData(content),
        };
        data = spec.Tweak switch
        {
            TlsaTweak.DropLastByte => data[..^1],
            TlsaTweak.AppendByte => [.. data, 0x5a],
            _ => data,
        };
        return new TlsaRecord((TlsaUsage)spec.Usage, (TlsaSelector)spec.Selector, (TlsaMatchingType)spec.MatchingType, data);
    }

    /// <summary>For hosts expected to authenticate: the record that should match.</summary>
    public TlsaRecord? ExpectedMatchedRecord => Host.Expected.MatchedTlsa is { } spec ? Tlsa(spec) : null;

    public override string ToString() => $"{Name} ({Address}:{Port})";
}
