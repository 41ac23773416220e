using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Core;

/// <summary>TLSA certificate usage (RFC 6698 §2.1.1, RFC 7218 mnemonics).</summary>
public enum TlsaUsage : byte
{
    PkixTa = 0,
    PkixEe = 1,
    DaneTa = 2,
    DaneEe = 3,
}

/// <summary>TLSA selector (RFC 6698 §2.1.2).</summary>
public enum TlsaSelector : byte
{
    Cert = 0,
    Spki = 1,
}

/// <summary>TLSA matching type (RFC 6698 §2.1.3).</summary>
public enum TlsaMatchingType : byte
{
    Full = 0,
    Sha2_256 = 1,
    Sha2_512 = 2,
}

/// <summary>One TLSA record. Values outside the named enum members are kept as they came.</summary>
public sealed record TlsaRecord(TlsaUsage Usage, TlsaSelector Selector, TlsaMatchingType MatchingType, byte[] Data)
{
    /// <summary>Presentation form, for example "3 1 1 ab12...".</summary>
    public override string ToString() =>
        $"{(byte)Usage} {(byte)Selector} {(byte)MatchingType} {Convert.ToHexStringLower(Data)}";

    public bool Equals(TlsaRecord? other) =>
        other is not null && Usage == other.Usage && Selector == other.Selector &&
        MatchingType == other.MatchingType && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Usage);
        hash.Add(Selector);
        hash.Add(MatchingType);
        hash.AddBytes(Data);
        return hash.ToHashCode();
    }
}

/// <summary>Computes TLSA association data from a certificate (RFC 6698 §2.1).</summary>
public static class TlsaAssociation
{
    /// <summary>The selected content: the whole certificate's DER, or its SubjectPublicKeyInfo DER.</summary>
    public static byte[] SelectedContent(X509Certificate2 certificate, TlsaSelector selector)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return selector switch
        {
            TlsaSelector.Cert => certificate.RawData,
            TlsaSelector.Spki => certificate.PublicKey.ExportSubjectPublicKeyInfo(),
            _ => throw new ArgumentOutOfRangeException(nameof(selector), selector, "Selector has no defined content."),
        };
    }

    /// <summary>The association data for a selector and matching type.</summary>
    public static byte[] Compute(X509Certificate2 certificate, TlsaSelector selector, TlsaMatchingType matchingType)
    {
        var content = SelectedContent(certificate, selector);
        return matchingType switch
        {
            TlsaMatchingType.Full => content,
            TlsaMatchingType.Sha2_256 => SHA256.HashData(content),
            TlsaMatchingType.Sha2_512 => SHA512.HashData(content),
            _ => throw new ArgumentOutOfRangeException(nameof(matchingType), matchingType, "Matching type has no defined digest."),
        };
    }

    /// <summary>A TLSA record for a certificate.</summary>
    public static TlsaRecord Record(X509Certificate2 certificate, TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matchingType) =>
        new(usage, selector, matchingType, Compute(certificate, selector, matchingType));
}
