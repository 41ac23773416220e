using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// Generated certificates for the loopback TLS tests. The 3-deep chain is leaf, intermediate and a "top"
/// CA cross-signed by an outer root that is never sent: .NET's server side trims a self-signed root from
/// what it sends, so a non-self-signed top is how a .NET server presents three certificates.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public TestCertificates()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 outer = Ca("CN=Test Outer Root", null, now);
        Top = Ca("CN=Test Top CA", outer, now);
        Intermediate = Ca("CN=Test Intermediate CA", Top, now);
        EcLeaf = Leaf("mx.example.org", Intermediate, ECDsa.Create(ECCurve.NamedCurves.nistP256), now);
        RsaLeaf = Leaf("mx.example.org", Intermediate, RSA.Create(2048), now);
    }

    public X509Certificate2 Top { get; }

    public X509Certificate2 Intermediate { get; }

    public X509Certificate2 EcLeaf { get; }

    public X509Certificate2 RsaLeaf { get; }

    /// <summary>A leaf under <paramref name="cas"/> CAs in a line below a root: the chain leaf first, root last.</summary>
    public IReadOnlyList<X509Certificate2> DeepChain(int cas)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var line = new List<X509Certificate2> { Ca("CN=Deep Root", null, now) };
        for (int i = 1; i <= cas; i++)
        {
            line.Add(Ca($"CN=Deep CA {i}", line[^1], now));
        }

        line.Add(Leaf("mx.example.org", line[^1], ECDsa.Create(ECCurve.NamedCurves.nistP256), now));
        line.Reverse();
        return line;
    }

    private X509Certificate2 Ca(string subject, X509Certificate2? issuer, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _owned.Add(key);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        X509Certificate2 cert;
        if (issuer is null)
        {
            cert = req.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
        }
        else
        {
            using X509Certificate2 pub = req.Create(issuer, now.AddDays(-1), now.AddYears(2), RandomNumberGenerator.GetBytes(8));
            cert = pub.CopyWithPrivateKey(key);
        }

        _owned.Add(cert);
        return cert;
    }

    private X509Certificate2 Leaf(string name, X509Certificate2 issuer, AsymmetricAlgorithm key, DateTimeOffset now)
    {
        _owned.Add(key);
        CertificateRequest req = key is RSA rsa
            ? new CertificateRequest("CN=" + name, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=" + name, (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using ECDsa issuerKey = issuer.GetECDsaPrivateKey()!;
        using X509Certificate2 pub = req.Create(
            issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), now.AddDays(-1), now.AddYears(1), RandomNumberGenerator.GetBytes(8));
        X509Certificate2 cert = key is RSA r ? pub.CopyWithPrivateKey(r) : pub.CopyWithPrivateKey((ECDsa)key);
        _owned.Add(cert);
        return cert;
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }
    }
}
