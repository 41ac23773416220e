using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Core;

/// <summary>One presented certificate, summarised for reports and datasets.</summary>
/// <param name="Index">Its position in the chain as presented (0 = leaf).</param>
/// <param name="Parsed">False when the bytes are not a certificate; the other fields are then empty except the digest.</param>
/// <param name="Subject">The subject DN.</param>
/// <param name="Issuer">The issuer DN.</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="DnsNames">DNS-ID subjectAltNames.</param>
/// <param name="CommonNames">Subject CNs.</param>
/// <param name="IsCa">Basic constraints CA flag.</param>
/// <param name="SelfIssued">Subject equals issuer.</param>
/// <param name="KeyAlgorithm">For example "ECDSA P-256" or "RSA 2048".</param>
/// <param name="CertSha256">SHA2-256 of the DER (lower-case hex): what `x 0 1` records hold.</param>
/// <param name="SpkiSha256">SHA2-256 of the SubjectPublicKeyInfo (lower-case hex): what `x 1 1` records hold.</param>
/// <param name="MatchingRecords">The usable TLSA records whose association data match this certificate (usage not considered).</param>
public sealed record CertificateSummary(
    int Index,
    bool Parsed,
    string Subject,
    string Issuer,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> CommonNames,
    bool IsCa,
    bool SelfIssued,
    string KeyAlgorithm,
    string CertSha256,
    string? SpkiSha256,
    IReadOnlyList<TlsaRecord> MatchingRecords);

/// <summary>Summaries of a presented chain, with which TLSA records match at each depth. Pure.</summary>
public static class ChainSummary
{
    public static IReadOnlyList<CertificateSummary> Summarize(IReadOnlyList<byte[]> presentedChain, IEnumerable<TlsaRecord> records)
    {
        ArgumentNullException.ThrowIfNull(presentedChain);
        ArgumentNullException.ThrowIfNull(records);
        var usable = records.Where(TlsaRules.IsUsable).ToList();
        var result = new List<CertificateSummary>(presentedChain.Count);
        for (var i = 0; i < presentedChain.Count; i++)
        {
            var der = presentedChain[i];
            using var cert = CertificateFacts.TryParse(der);
            var matching = usable.Where(r => DaneMatcher.Matches(der, cert, r)).ToList();
            var certSha = Convert.ToHexStringLower(SHA256.HashData(der));
            if (cert is null)
            {
                result.Add(new CertificateSummary(i, false, "", "", null, null, [], [], false, false, "", certSha, null, matching));
                continue;
            }

            var basic = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            result.Add(new CertificateSummary(
                i,
                true,
                cert.Subject,
                cert.Issuer,
                new DateTimeOffset(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                CertificateFacts.DnsNames(cert),
                CertificateFacts.CommonNames(cert),
                basic?.CertificateAuthority ?? false,
                cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData),
                KeyAlgorithm(cert),
                certSha,
                Convert.ToHexStringLower(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo())),
                matching));
        }

        return result;
    }

    /// <summary>A short description of a certificate's key, for example "ECDSA P-256", "RSA 2048", or the OID.</summary>
    public static string KeyAlgorithm(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        try
        {
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is not null)
            {
                return $"RSA {rsa.KeySize}";
            }

            using var ec = certificate.GetECDsaPublicKey();
            if (ec is not null)
            {
                var curve = ec.ExportParameters(false).Curve;
                var name = curve.Oid.Value switch
                {
                    "1.2.840.10045.3.1.7" => "P-256",
                    "1.3.132.0.34" => "P-384",
                    "1.3.132.0.35" => "P-521",
                    _ => curve.Oid.FriendlyName ?? curve.Oid.Value ?? ec.KeySize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                return $"ECDSA {name}";
            }
        }
        catch (CryptographicException)
        {
            // Fall through to the OID.
        }

        return certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown";
    }
}
