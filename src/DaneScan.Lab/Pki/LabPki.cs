using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Lab.Pki;

/// <summary>The key algorithm of a lab leaf certificate.</summary>
public enum LabKeyType
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>
/// The lab's certificates: a root CA, an intermediate CA, an expired intermediate CA, and leaf
/// certificates made on demand (self-signed or issued by any certificate that has a private key).
/// </summary>
/// <remarks>
/// <para>Keys, and which certificates share them (this matters for TLSA selector SPKI(1)):</para>
/// <list type="bullet">
/// <item><see cref="Root"/>, <see cref="Intermediate"/> and <see cref="ExpiredIntermediate"/> each have their own
/// ECDSA P-256 key, fresh for every <see cref="LabPki"/> instance. They have three distinct subject names.</item>
/// <item>An ECDSA leaf made without a key slot gets a fresh P-256 key: two such leaves never share an SPKI.</item>
/// <item>An RSA 2048 leaf made without a key slot uses RSA key slot 0. RSA keys are slow to generate, so they
/// are cached per slot for the whole process (shared by every <see cref="LabPki"/> instance): all RSA leaves of
/// the same slot have the same SPKI. Pass a different <c>keySlot</c> to get a different RSA key.</item>
/// <item>An ECDSA leaf made with a key slot uses the ECDSA key of that slot, also cached for the process: use it
/// for "same key, new certificate" cases (a renewal that keeps the key).</item>
/// </list>
/// <para>Certificates are returned with their private key. Every certificate has a random 128-bit serial number,
/// so two certificates with the same key and names still differ in their DER (selector Cert(0)).</para>
/// </remarks>
public sealed class LabPki : IDisposable
{
    public const string RootName = "DaneScan Lab Root CA";
    public const string IntermediateName = "DaneScan Lab Intermediate CA";
    public const string ExpiredIntermediateName = "DaneScan Lab Expired Intermediate CA";

    private static readonly ConcurrentDictionary<int, Lazy<RSA>> RsaSlots = new();
    private static readonly ConcurrentDictionary<int, Lazy<ECDsa>> EcdsaSlots = new();
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private readonly List<X509Certificate2> _issued = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    private LabPki(DateTimeOffset now, X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 expiredIntermediate)
    {
        Now = now;
        Root = root;
        Intermediate = intermediate;
        ExpiredIntermediate = expiredIntermediate;
    }

    /// <summary>The time the PKI was made for: default validity periods are relative to it.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>"DaneScan Lab Root CA", self-signed, ECDSA P-256, valid now-1d to now+5y. With private key.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>"DaneScan Lab Intermediate CA", signed by <see cref="Root"/>, ECDSA P-256, valid now-1d to now+5y,
    /// path length 0. With private key.</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>"DaneScan Lab Expired Intermediate CA", signed by <see cref="Root"/>, its own ECDSA P-256 key,
    /// valid now-2y to now-1d (expired). With private key, so leaves can be issued under it.</summary>
    public X509Certificate2 ExpiredIntermediate { get; }

    /// <summary>Makes the lab's CAs.</summary>
    public static LabPki Create(DateTimeOffset now)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = CreateCa(RootName, rootKey, issuer: null, issuerKey: null, now.AddDays(-1), now.AddYears(5), pathLength: null);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediate = CreateCa(IntermediateName, intermediateKey, root, rootKey, now.AddDays(-1), now.AddYears(5), pathLength: 0);
        using var expiredKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var expired = CreateCa(ExpiredIntermediateName, expiredKey, root, rootKey, now.AddYears(-2), now.AddDays(-1), pathLength: 0);
        return new LabPki(now, root, intermediate, expired);
    }

    /// <summary>A self-signed leaf certificate (subject = issuer), serverAuth EKU, not a CA.</summary>
    /// <param name="dnsNames">The DNS subjectAltNames. If empty, the certificate has no SAN extension and
    /// <paramref name="commonName"/> is required.</param>
    /// <param name="key">The key algorithm.</param>
    /// <param name="notBefore">Default: <see cref="Now"/> - 1 day.</param>
    /// <param name="notAfter">Default: <see cref="Now"/> + 1 year.</param>
    /// <param name="commonName">The subject CN. Default: the first DNS name.</param>
    /// <param name="keySlot">Which cached key to use (see the class remarks). Default: a fresh ECDSA key, or RSA slot 0.</param>
    public X509Certificate2 SelfSigned(IReadOnlyList<string> dnsNames, LabKeyType key,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string? commonName = null, int? keySlot = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(dnsNames);
        var subject = SubjectFor(dnsNames, commonName);
        var from = notBefore ?? Now.AddDays(-1);
        var to = notAfter ?? Now.AddYears(1);
        var serial = NewSerial();
        X509Certificate2 certificate;
        if (key == LabKeyType.Rsa2048)
        {
            var rsa = RsaKey(keySlot ?? 0);
            var request = LeafRequest(subject, dnsNames, rsa, key);
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var generated = request.Create(subject, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), from, to, serial);
            certificate = generated.CopyWithPrivateKey(rsa);
        }
        else
        {
            var ecdsa = EcdsaKey(keySlot, out var owned);
            try
            {
                var request = LeafRequest(subject, dnsNames, ecdsa, key);
                request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
                using var generated = request.Create(subject, X509SignatureGenerator.CreateForECDsa(ecdsa), from, to, serial);
                certificate = generated.CopyWithPrivateKey(ecdsa);
            }
            finally
            {
                if (owned)
                {
                    ecdsa.Dispose();
                }
            }
        }

        return Track(certificate);
    }

    /// <summary>A leaf certificate signed by <paramref name="issuer"/> (any certificate with a private key: the
    /// lab's CAs, or anything else for broken cases). The issuer's validity does not constrain the leaf's.</summary>
    /// <param name="issuer">The signing certificate, with its private key (ECDSA or RSA).</param>
    /// <param name="dnsNames">The DNS subjectAltNames. If empty, no SAN extension and <paramref name="commonName"/> is required.</param>
    /// <param name="key">The leaf's key algorithm.</param>
    /// <param name="notBefore">Default: <see cref="Now"/> - 1 day.</param>
    /// <param name="notAfter">Default: <see cref="Now"/> + 1 year.</param>
    /// <param name="commonName">The subject CN. Default: the first DNS name.</param>
    /// <param name="keySlot">Which cached key to use (see the class remarks). Default: a fresh ECDSA key, or RSA slot 0.</param>
    public X509Certificate2 Issue(X509Certificate2 issuer, IReadOnlyList<string> dnsNames, LabKeyType key,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string? commonName = null, int? keySlot = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(dnsNames);
        var subject = SubjectFor(dnsNames, commonName);
        var from = notBefore ?? Now.AddDays(-1);
        var to = notAfter ?? Now.AddYears(1);
        using var signer = SignerFor(issuer);
        AsymmetricAlgorithm leafKey = key == LabKeyType.Rsa2048 ? RsaKey(keySlot ?? 0) : EcdsaKey(keySlot, out _);
        try
        {
            var request = leafKey is RSA rsa ? LeafRequest(subject, dnsNames, rsa, key) : LeafRequest(subject, dnsNames, (ECDsa)leafKey, key);
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            using var generated = request.Create(issuer.SubjectName, signer.Generator, from, to, NewSerial());
            var certificate = leafKey is RSA r ? generated.CopyWithPrivateKey(r) : generated.CopyWithPrivateKey((ECDsa)leafKey);
            return Track(certificate);
        }
        finally
        {
            if (key != LabKeyType.Rsa2048 && keySlot is null)
            {
                leafKey.Dispose();
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> CA certificates in a line below <see cref="Root"/>: the first signed by the root,
    /// each next one by the one before; each with its own fresh ECDSA P-256 key (and private key), its own subject
    /// ("DaneScan Lab Deep CA &lt;n&gt;"), no path length limit, valid now-1d to now+5y. Lowest (last issued) last.
    /// </summary>
    public IReadOnlyList<X509Certificate2> CaLine(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var line = new List<X509Certificate2>(count);
        var issuer = Root;
        for (var i = 1; i <= count; i++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var issuerKey = issuer.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the issuing CA has no ECDSA key");
            var ca = Track(CreateCa(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"DaneScan Lab Deep CA {i}"), key, issuer, issuerKey,
                Now.AddDays(-1), Now.AddYears(5), pathLength: null));
            line.Add(ca);
            issuer = ca;
        }

        return line;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Root.Dispose();
        Intermediate.Dispose();
        ExpiredIntermediate.Dispose();
        lock (_gate)
        {
            foreach (var certificate in _issued)
            {
                certificate.Dispose();
            }

            _issued.Clear();
        }
    }

    private X509Certificate2 Track(X509Certificate2 certificate)
    {
        lock (_gate)
        {
            _issued.Add(certificate);
        }

        return certificate;
    }

    private static X509Certificate2 CreateCa(string name, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey,
        DateTimeOffset notBefore, DateTimeOffset notAfter, int? pathLength)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName("DaneScan Lab");
        builder.AddCommonName(name);
        var subject = builder.Build();
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, pathLength ?? 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null || issuerKey is null)
        {
            using var selfSigned = request.Create(subject, X509SignatureGenerator.CreateForECDsa(key), notBefore, notAfter, NewSerial());
            return selfSigned.CopyWithPrivateKey(key);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, NewSerial());
        return signed.CopyWithPrivateKey(key);
    }

    private static CertificateRequest LeafRequest(X500DistinguishedName subject, IReadOnlyList<string> dnsNames, RSA key, LabKeyType type)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, dnsNames, type);
        return request;
    }

    private static CertificateRequest LeafRequest(X500DistinguishedName subject, IReadOnlyList<string> dnsNames, ECDsa key, LabKeyType type)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        AddLeafExtensions(request, dnsNames, type);
        return request;
    }

    private static void AddLeafExtensions(CertificateRequest request, IReadOnlyList<string> dnsNames, LabKeyType type)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var usage = type == LabKeyType.Rsa2048
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment
            : X509KeyUsageFlags.DigitalSignature;
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        if (dnsNames.Count > 0 && dnsNames.Any(n => n.Any(c => c < 0x20 || c == 0x7F)))
        {
            // Hostile names (control characters): written as raw IA5Strings, which SubjectAlternativeNameBuilder
            // (IDN-mapping every name) refuses. A real CA would not issue them; a hostile server sends what it likes.
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                foreach (var name in dnsNames)
                {
                    writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, name, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2));
                }
            }

            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", writer.Encode(), critical: false));
        }
        else if (dnsNames.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(dnsNames));
                san.AddDnsName(name);
            }

            request.CertificateExtensions.Add(san.Build(critical: false));
        }
    }

    private static X500DistinguishedName SubjectFor(IReadOnlyList<string> dnsNames, string? commonName)
    {
        var cn = commonName ?? (dnsNames.Count > 0 ? dnsNames[0] : null);
        if (string.IsNullOrWhiteSpace(cn))
        {
            throw new ArgumentException("A certificate without DNS names needs a common name.", nameof(commonName));
        }

        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName("DaneScan Lab");
        builder.AddCommonName(cn);
        return builder.Build();
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, and no leading zero byte to strip
        return serial;
    }

    private static RSA RsaKey(int slot) =>
        RsaSlots.GetOrAdd(slot, _ => new Lazy<RSA>(() => RSA.Create(2048), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private static ECDsa EcdsaKey(int? slot, out bool owned)
    {
        owned = slot is null;
        return slot is { } s
            ? EcdsaSlots.GetOrAdd(s, _ => new Lazy<ECDsa>(() => ECDsa.Create(ECCurve.NamedCurves.nistP256), LazyThreadSafetyMode.ExecutionAndPublication)).Value
            : ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    private static Signer SignerFor(X509Certificate2 issuer)
    {
        if (issuer.GetECDsaPrivateKey() is { } ecdsa)
        {
            return new Signer(X509SignatureGenerator.CreateForECDsa(ecdsa), ecdsa);
        }

        if (issuer.GetRSAPrivateKey() is { } rsa)
        {
            return new Signer(X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), rsa);
        }

        throw new ArgumentException("The issuer certificate has no ECDSA or RSA private key.", nameof(issuer));
    }

    private sealed class Signer(X509SignatureGenerator generator, AsymmetricAlgorithm key) : IDisposable
    {
        public X509SignatureGenerator Generator { get; } = generator;

        public void Dispose() => key.Dispose();
    }
}
