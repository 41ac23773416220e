using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Smtp;

/// <summary>Describes a certificate's public key for reports: "RSA 2048", "ECDSA P-256", "Ed25519".</summary>
public static class LeafKeyDescription
{
    public static string Describe(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string oid = certificate.PublicKey.Oid.Value ?? string.Empty;
        try
        {
            switch (oid)
            {
                case "1.2.840.113549.1.1.1":
                case "1.2.840.113549.1.1.10":
                    {
                        using RSA? rsa = certificate.GetRSAPublicKey();
                        string name = oid.EndsWith(".10", StringComparison.Ordinal) ? "RSA-PSS" : "RSA";
                        return rsa is null ? name : string.Create(CultureInfo.InvariantCulture, $"{name} {rsa.KeySize}");
                    }

                case "1.2.840.10045.2.1":
                    return "ECDSA " + CurveName(certificate.PublicKey.EncodedParameters?.RawData ?? []);
                case "1.3.101.112":
                    return "Ed25519";
                case "1.3.101.113":
                    return "Ed448";
                case "1.2.840.10040.4.1":
                    {
                        using DSA? dsa = certificate.GetDSAPublicKey();
                        return dsa is null ? "DSA" : string.Create(CultureInfo.InvariantCulture, $"DSA {dsa.KeySize}");
                    }

                default:
                    return "unknown key algorithm " + oid;
            }
        }
        catch (CryptographicException)
        {
            return "unreadable key, algorithm " + oid;
        }
    }

    private static string CurveName(byte[] parameters)
    {
        string curveOid;
        try
        {
            curveOid = AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out _);
        }
        catch (AsnContentException)
        {
            return "(explicit or unreadable curve)";
        }

        return curveOid switch
        {
            "1.2.840.10045.3.1.7" => "P-256",
            "1.3.132.0.34" => "P-384",
            "1.3.132.0.35" => "P-521",
            "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
            "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
            "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
            _ => "curve " + curveOid,
        };
    }
}
