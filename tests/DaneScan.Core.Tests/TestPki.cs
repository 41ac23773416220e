using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Core.Tests;

/// <summary>Certificates generated for the tests with CertificateRequest: nothing is read from disk.</summary>
internal static class TestPki
{
    /// <summary>The probe time every test judges at.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset ValidFrom = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset ValidTo = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static long serial = 1000;

    public enum KeyKind
    {
        EcdsaP256,
        EcdsaP384,
        Rsa2048,
    }

    public sealed record Issued(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
    {
        public byte[] Der => Certificate.RawData;

        public byte[] Spki => Certificate.PublicKey.ExportSubjectPublicKeyInfo();

        public TlsaRecord Tlsa(TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matching) =>
            TlsaAssociation.Record(Certificate, usage, selector, matching);

        public X500DistinguishedName Name => Certificate.SubjectName;
    }

    public sealed record CaOptions
    {
        public bool IsCa { get; init; } = true;

        public int? PathLength { get; init; }

        public X509KeyUsageFlags? KeyUsage { get; init; } = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

        public DateTimeOffset NotBefore { get; init; } = ValidFrom;

        public DateTimeOffset NotAfter { get; init; } = ValidTo;

        public KeyKind Key { get; init; } = KeyKind.EcdsaP256;

        public string[]? ExtendedKeyUsages { get; init; }
    }

    public static AsymmetricAlgorithm NewKey(KeyKind kind) => kind switch
    {
        KeyKind.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyKind.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        _ => RSA.Create(2048),
    };

    /// <summary>A CA certificate: self-signed when <paramref name="issuer"/> is null.</summary>
    public static Issued Ca(string cn, Issued? issuer = null, CaOptions? options = null)
    {
        options ??= new CaOptions();
        var key = NewKey(options.Key);
        var request = Request(new X500DistinguishedName($"CN={cn}"), key);
        request.CertificateExtensions.Add(options.PathLength is { } p
            ? new X509BasicConstraintsExtension(options.IsCa, true, p, true)
            : new X509BasicConstraintsExtension(options.IsCa, false, 0, true));
        if (options.KeyUsage is { } usage)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        }

        if (options.ExtendedKeyUsages is { } ekus)
        {
            var oids = new OidCollection();
            foreach (var oid in ekus)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        return Sign(request, key, issuer, options.NotBefore, options.NotAfter);
    }

    /// <summary>A server certificate with the given DNS SANs (none: no SAN extension) and CN.</summary>
    public static Issued Leaf(
        Issued? issuer,
        string? cn,
        string[] dnsNames,
        KeyKind kind = KeyKind.EcdsaP256,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        X509KeyUsageFlags? keyUsage = null,
        string[]? extendedKeyUsages = null)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        var key = NewKey(kind);
        var request = Request(new X500DistinguishedName(cn is null ? "O=DaneScan Test" : $"CN={cn}"), key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        if (keyUsage is { } ku)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
        }

        if (extendedKeyUsages is { } ekus)
        {
            var oids = new OidCollection();
            foreach (var oid in ekus)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in dnsNames)
            {
                san.AddDnsName(n);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        return Sign(request, key, issuer, notBefore ?? ValidFrom, notAfter ?? ValidTo);
    }

    /// <summary>A certificate with the issuer's name but signed by an unrelated key (a forged link).</summary>
    public static Issued ForgedLeaf(Issued claimedIssuer, string name)
    {
        var impostor = Ca("Impostor");
        var key = NewKey(KeyKind.EcdsaP256);
        var request = Request(new X500DistinguishedName($"CN={name}"), key);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        var cert = request.Create(claimedIssuer.Name, Generator(impostor.Key), ValidFrom, ValidTo, NextSerial());
        return new Issued(cert, key);
    }

    private static CertificateRequest Request(X500DistinguishedName name, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(name, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(name, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Unsupported key.", nameof(key)),
    };

    private static X509SignatureGenerator Generator(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Unsupported key.", nameof(key)),
    };

    private static Issued Sign(CertificateRequest request, AsymmetricAlgorithm key, Issued? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var cert = issuer is null
            ? request.Create(request.SubjectName, Generator(key), notBefore, notAfter, NextSerial())
            : request.Create(issuer.Name, Generator(issuer.Key), notBefore, notAfter, NextSerial());
        return new Issued(cert, key);
    }

    private static byte[] NextSerial()
    {
        var s = Interlocked.Increment(ref serial);
        return BitConverter.GetBytes(s).Reverse().SkipWhile(b => b == 0).ToArray();
    }

    public static IReadOnlyList<byte[]> Chain(params Issued[] certs) => [.. certs.Select(c => c.Der)];

    public static TlsaRecord Raw(byte usage, byte selector, byte matching, int length) =>
        new((TlsaUsage)usage, (TlsaSelector)selector, (TlsaMatchingType)matching, new byte[length]);
}

/// <summary>One CA hierarchy shared by the tests: root, intermediate, and leaves for mx.example.net.</summary>
internal sealed class Pki
{
    public static Pki Shared { get; } = new();

    public TestPki.Issued Root { get; }

    public TestPki.Issued Intermediate { get; }

    /// <summary>Issued by <see cref="Intermediate"/> for mx.example.net.</summary>
    public TestPki.Issued Leaf { get; }

    /// <summary>A self-signed ECDSA certificate for mx.example.net (the typical DANE-EE server).</summary>
    public TestPki.Issued SelfSigned { get; }

    /// <summary>A self-signed RSA certificate for mx.example.net.</summary>
    public TestPki.Issued SelfSignedRsa { get; }

    /// <summary>An unrelated self-signed certificate.</summary>
    public TestPki.Issued Other { get; }

    public Pki()
    {
        Root = TestPki.Ca("DaneScan Test Root");
        Intermediate = TestPki.Ca("DaneScan Test Intermediate", Root);
        Leaf = TestPki.Leaf(Intermediate, "mx.example.net", ["mx.example.net"]);
        SelfSigned = TestPki.Leaf(null, "mx.example.net", ["mx.example.net"]);
        SelfSignedRsa = TestPki.Leaf(null, "mx.example.net", ["mx.example.net"], TestPki.KeyKind.Rsa2048);
        Other = TestPki.Leaf(null, "other.example.org", ["other.example.org"]);
    }
}
