using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Core;

/// <summary>
/// The certificate checks DANE-TA path validation needs, done here rather than with <see cref="X509Chain"/>.
/// Measured on Linux (.NET 10, OpenSSL): with <c>CustomRootTrust</c>, <c>DisableCertificateDownloads</c>,
/// <c>RevocationMode = NoCheck</c> and a <c>VerificationTime</c>, a self-signed root as the custom root builds,
/// but an intermediate as the custom root fails with <c>PartialChain</c> (and with the root in the extra store,
/// <c>UntrustedRoot</c>). A DANE-TA(2) anchor is often an intermediate, or only a key (RFC 7671 §5.2.2), so the
/// signatures (RSA PKCS#1 v1.5 and PSS, ECDSA; SHA-1/256/384/512), validity dates, basic constraints, path
/// length, key usage and the TLS server purpose are checked here. Not checked: name constraints, policies.
/// Pure: no I/O, no certificate stores. The tests compare it with X509Chain where X509Chain can judge.
/// </summary>
public static class CertificateFacts
{
    private const string OidCommonName = "2.5.4.3";

    /// <summary>Parses DER, or returns null when the bytes are not a certificate (the server sent garbage).</summary>
    public static X509Certificate2? TryParse(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The DNS-ID subjectAltNames, as written (no IDNA conversion).</summary>
    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        foreach (var ext in certificate.Extensions)
        {
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                try
                {
                    names.AddRange(san.EnumerateDnsNames());
                }
                catch (CryptographicException)
                {
                    // A malformed SAN extension offers no usable names.
                }
            }
        }

        return names;
    }

    /// <summary>The subject's common names (there may be several).</summary>
    public static IReadOnlyList<string> CommonNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        try
        {
            foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
            {
                if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == OidCommonName &&
                    rdn.GetSingleElementValue() is { } value)
                {
                    names.Add(value);
                }
            }
        }
        catch (CryptographicException)
        {
            // An unparsable subject offers no usable names.
        }

        return names;
    }

    /// <summary>
    /// The names the certificate is presented for: its DNS-ID subjectAltNames, or its CNs only when it has
    /// no DNS-ID at all (RFC 6125 §6.4.4, RFC 7672 §3.2.3).
    /// </summary>
    public static IReadOnlyList<string> PresentedIdentifiers(X509Certificate2 certificate)
    {
        var dns = DnsNames(certificate);
        return dns.Count > 0 ? dns : CommonNames(certificate);
    }

    /// <summary>
    /// Whether a presented identifier matches a reference identifier (RFC 6125 §6.4): case-insensitive,
    /// trailing dots ignored; a wildcard only as the whole left-most label ("*.example.com"), matching exactly
    /// one non-empty label, and only with at least two labels after it.
    /// </summary>
    public static bool NameMatches(string presented, string reference)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(reference);
        var p = presented.Trim().TrimEnd('.');
        var r = reference.Trim().TrimEnd('.');
        if (p.Length == 0 || r.Length == 0)
        {
            return false;
        }

        if (!p.StartsWith("*.", StringComparison.Ordinal))
        {
            return !p.Contains('*', StringComparison.Ordinal) && string.Equals(p, r, StringComparison.OrdinalIgnoreCase);
        }

        var suffix = p[2..];
        if (suffix.Contains('*', StringComparison.Ordinal) || !suffix.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        var dot = r.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(r[(dot + 1)..], suffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The first reference identifier any presented identifier matches, or null.</summary>
    public static string? MatchingReference(X509Certificate2 certificate, IEnumerable<string> referenceIdentifiers)
    {
        ArgumentNullException.ThrowIfNull(referenceIdentifiers);
        var presented = PresentedIdentifiers(certificate);
        return referenceIdentifiers.FirstOrDefault(r => presented.Any(p => NameMatches(p, r)));
    }

    /// <summary>Whether <paramref name="at"/> lies within the certificate's validity period.</summary>
    public static ValidityState Validity(X509Certificate2 certificate, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (at < notBefore)
        {
            return ValidityState.NotYetValid;
        }

        return at > notAfter ? ValidityState.Expired : ValidityState.Valid;
    }

    /// <summary>
    /// Whether the certificate may issue others: basic constraints CA=true (RFC 5280 §4.2.1.9), a path
    /// length constraint that allows <paramref name="intermediatesBelow"/> CA certificates below it, and
    /// keyCertSign when a key usage extension is present (§4.2.1.3).
    /// </summary>
    public static IssuerState IssuerCapability(X509Certificate2 certificate, int intermediatesBelow)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is null || !basic.CertificateAuthority)
        {
            return IssuerState.NotCa;
        }

        if (basic.HasPathLengthConstraint && intermediatesBelow > basic.PathLengthConstraint)
        {
            return IssuerState.PathLengthExceeded;
        }

        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            return IssuerState.NoKeyCertSign;
        }

        return IssuerState.Ok;
    }

    /// <summary>
    /// Whether the certificate may serve on a TLS server path (OpenSSL's SSL server purpose): for the leaf, a key
    /// usage extension, when present, must allow digitalSignature, keyEncipherment or keyAgreement; for any
    /// certificate, an extended key usage extension, when present, must include serverAuth or anyExtendedKeyUsage.
    /// </summary>
    public static bool AllowsTlsServer(X509Certificate2 certificate, bool leaf)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (leaf && certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } ku &&
            (ku.KeyUsages & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement)) == 0)
        {
            return false;
        }

        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku)
        {
            foreach (var oid in eku.EnhancedKeyUsages)
            {
                if (oid.Value is "1.3.6.1.5.5.7.3.1" or "2.5.29.37.0")
                {
                    return true;
                }
            }

            return false;
        }

        return true;
    }

    /// <summary>Whether <paramref name="subject"/>'s signature verifies with <paramref name="issuerKey"/>.</summary>
    public static bool IsSignedBy(X509Certificate2 subject, PublicKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (!TryReadSignedParts(subject.RawData, out var tbs, out var algorithm, out var parameters, out var signature))
        {
            return false;
        }

        try
        {
            return algorithm switch
            {
                "1.2.840.113549.1.1.5" => VerifyRsa(issuerKey, tbs, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.11" => VerifyRsa(issuerKey, tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.12" => VerifyRsa(issuerKey, tbs, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.13" => VerifyRsa(issuerKey, tbs, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.10" => VerifyRsaPss(issuerKey, tbs, signature, parameters),
                "1.2.840.10045.4.1" => VerifyEcdsa(issuerKey, tbs, signature, HashAlgorithmName.SHA1),
                "1.2.840.10045.4.3.2" => VerifyEcdsa(issuerKey, tbs, signature, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => VerifyEcdsa(issuerKey, tbs, signature, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => VerifyEcdsa(issuerKey, tbs, signature, HashAlgorithmName.SHA512),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>A public key from SubjectPublicKeyInfo DER (a `2 1 0` record's data), or null when it does not parse.</summary>
    public static PublicKey? TryReadSpki(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        try
        {
            var key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out var read);
            return read == spki.Length ? key : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool VerifyRsa(PublicKey key, byte[] data, byte[] signature, HashAlgorithmName hash, RSASignaturePadding padding)
    {
        using var rsa = key.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, hash, padding);
    }

    private static bool VerifyEcdsa(PublicKey key, byte[] data, byte[] signature, HashAlgorithmName hash)
    {
        using var ecdsa = key.GetECDsaPublicKey();
        return ecdsa is not null && ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static bool VerifyRsaPss(PublicKey key, byte[] data, byte[] signature, byte[]? parameters)
    {
        // RSASSA-PSS-params: only the common form is verifiable with .NET: MGF1 with the same hash as the
        // message and a salt as long as the hash (which .NET's Pss padding uses).
        if (parameters is null)
        {
            return false;
        }

        var hash = HashAlgorithmName.SHA1;
        var saltLength = 20;
        var reader = new AsnReader(parameters, AsnEncodingRules.DER);
        var seq = reader.ReadSequence();
        while (seq.HasData)
        {
            var tag = seq.PeekTag();
            var field = seq.ReadSequence(tag);
            if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                var alg = field.ReadSequence().ReadObjectIdentifier();
                hash = alg switch
                {
                    "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
                    "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
                    "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
                    "1.3.14.3.2.26" => HashAlgorithmName.SHA1,
                    _ => default,
                };
            }
            else if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
            {
                if (!field.TryReadInt32(out saltLength))
                {
                    return false;
                }
            }
        }

        int expectedSalt = hash.Name switch
        {
            "SHA1" => 20,
            "SHA256" => 32,
            "SHA384" => 48,
            "SHA512" => 64,
            _ => -1,
        };
        return expectedSalt == saltLength && VerifyRsa(key, data, signature, hash, RSASignaturePadding.Pss);
    }

    private static bool TryReadSignedParts(byte[] der, out byte[] tbs, out string algorithm, out byte[]? parameters, out byte[] signature)
    {
        tbs = [];
        algorithm = "";
        parameters = null;
        signature = [];
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var cert = reader.ReadSequence();
            tbs = cert.ReadEncodedValue().ToArray();
            var alg = cert.ReadSequence();
            algorithm = alg.ReadObjectIdentifier();
            if (alg.HasData)
            {
                parameters = alg.ReadEncodedValue().ToArray();
            }

            signature = cert.ReadBitString(out var unused);
            return unused == 0;
        }
        catch (AsnContentException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}

/// <summary>A certificate's validity at a given time.</summary>
public enum ValidityState
{
    Valid,
    Expired,
    NotYetValid,
}

/// <summary>Whether a certificate may act as an issuer in a path.</summary>
public enum IssuerState
{
    Ok,
    NotCa,
    PathLengthExceeded,
    NoKeyCertSign,
}
