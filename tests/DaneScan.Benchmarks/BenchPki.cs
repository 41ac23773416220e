using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Benchmarks;

/// <summary>
/// Certificates generated in benchmark setup with CertificateRequest, shaped like what SMTP servers present:
/// an RSA-2048 root and intermediate (a public-CA-like hierarchy) and an ECDSA P-256 or RSA-2048 leaf.
/// </summary>
internal static class BenchPki
{
    /// <summary>The probe time every benchmark judges at (inside every validity window).</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset ValidFrom = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ValidTo = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static long serial = 7000;

    internal sealed record Issued(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
    {
        public byte[] Der => Certificate.RawData;

        public TlsaRecord Tlsa(TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matching) =>
            TlsaAssociation.Record(Certificate, usage, selector, matching);
    }

    public static Issued Root(string cn)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddCaExtensions(request);
        var cert = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), ValidFrom, ValidTo, NextSerial());
        return new Issued(cert, key);
    }

    public static Issued Intermediate(string cn, Issued issuer)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddCaExtensions(request);
        return new Issued(request.Create(issuer.Certificate.SubjectName, Generator(issuer.Key), ValidFrom, ValidTo, NextSerial()), key);
    }

    /// <summary>A server certificate for <paramref name="names"/>; self-signed when <paramref name="issuer"/> is null.</summary>
    public static Issued Leaf(Issued? issuer, bool rsa, params string[] names)
    {
        AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest($"CN={names[0]}", r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={names[0]}", (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names)
        {
            san.AddDnsName(n);
        }

        request.CertificateExtensions.Add(san.Build());
        var cert = issuer is null
            ? request.Create(request.SubjectName, Generator(key), ValidFrom, ValidTo, NextSerial())
            : request.Create(issuer.Certificate.SubjectName, Generator(issuer.Key), ValidFrom, ValidTo, NextSerial());
        return new Issued(cert, key);
    }

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
    }

    private static X509SignatureGenerator Generator(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Unsupported key.", nameof(key)),
    };

    private static byte[] NextSerial()
    {
        var s = Interlocked.Increment(ref serial);
        return [.. BitConverter.GetBytes(s).Reverse().SkipWhile(b => b == 0)];
    }
}
