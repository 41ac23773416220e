using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>
/// One lab PKI and one set of scripted SMTP servers on 127.77.1.x (port 25, one host on 2525), shared by the
/// TLS tests. Addresses 127.77.0.0/16 belong to these tests only.
/// </summary>
public sealed class TlsLabFixture : IAsyncLifetime
{
    public const string MxName = "mx.tls.lab";

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("danescan-lab-tls-").FullName;

    public LabPki Pki { get; private set; } = null!;

    public ScriptedSmtpServers Servers { get; private set; } = null!;

    /// <summary>The leaf issued by the intermediate, served in several chain shapes.</summary>
    public X509Certificate2 CaLeaf { get; private set; } = null!;

    public X509Certificate2 RsaSelfSigned { get; private set; } = null!;

    public X509Certificate2 EcdsaSelfSigned { get; private set; } = null!;

    public X509Certificate2 ExpiredLeaf { get; private set; } = null!;

    public X509Certificate2 WrongNameLeaf { get; private set; } = null!;

    public X509Certificate2 CnOnlyLeaf { get; private set; } = null!;

    public X509Certificate2 LeafUnderExpiredIntermediate { get; private set; } = null!;

    public Dictionary<string, SmtpHostSpec> Hosts { get; } = [];

    public async Task InitializeAsync()
    {
        Pki = LabPki.Create(DateTimeOffset.UtcNow);
        CaLeaf = Pki.Issue(Pki.Intermediate, [MxName], LabKeyType.EcdsaP256);
        RsaSelfSigned = Pki.SelfSigned([MxName], LabKeyType.Rsa2048);
        EcdsaSelfSigned = Pki.SelfSigned([MxName, "alt." + MxName], LabKeyType.EcdsaP256);
        ExpiredLeaf = Pki.SelfSigned([MxName], LabKeyType.EcdsaP256, Pki.Now.AddDays(-60), Pki.Now.AddDays(-30));
        WrongNameLeaf = Pki.Issue(Pki.Intermediate, ["wrong.example"], LabKeyType.EcdsaP256);
        CnOnlyLeaf = Pki.Issue(Pki.Intermediate, [], LabKeyType.Rsa2048, commonName: MxName);
        LeafUnderExpiredIntermediate = Pki.Issue(Pki.ExpiredIntermediate, [MxName], LabKeyType.EcdsaP256);

        var full = Pem("full", CaLeaf, Pki.Intermediate, Pki.Root);
        var withIntermediate = Pem("leaf-int", CaLeaf, Pki.Intermediate);
        var leafOnly = Pem("leaf", CaLeaf);
        var rsa = Pem("rsa", RsaSelfSigned);
        var ecdsa = Pem("ecdsa", EcdsaSelfSigned);
        var expiredChain = Pem("expired-int", LeafUnderExpiredIntermediate, Pki.ExpiredIntermediate, Pki.Root);
        var wrongName = Pem("wrong-name", WrongNameLeaf, Pki.Intermediate);
        var expiredLeaf = Pem("expired-leaf", ExpiredLeaf);
        var cnOnly = Pem("cn-only", CnOnlyLeaf, Pki.Intermediate);

        Add("full", 1, full);
        Add("leaf-int", 2, withIntermediate);
        Add("leaf", 3, leafOnly);
        Add("rsa", 4, rsa);
        Add("ecdsa", 5, ecdsa);
        Add("tls12", 6, ecdsa, s => s with { Protocols = SslProtocols.Tls12 });
        Add("tls13", 7, ecdsa, s => s with { Protocols = SslProtocols.Tls13 });
        Add("no-starttls", 8, null, s => s with { StartTls = StartTlsBehaviour.NotOffered });
        Add("refused", 9, null, s => s with { StartTls = StartTlsBehaviour.Refused454 });
        Add("abort", 10, null, s => s with { StartTls = StartTlsBehaviour.AbortHandshake });
        Add("garbage", 11, null, s => s with { StartTls = StartTlsBehaviour.GarbageInsteadOfTls });
        Add("reset", 12, null, s => s with { StartTls = StartTlsBehaviour.ResetMidHandshake });
        Add("closed", 13, null, s => s with { Closed = true });
        Add("port2525", 14, leafOnly, s => s with { Port = 2525 });
        Add("expired-int", 15, expiredChain);
        Add("piggyback", 16, leafOnly, s => s with { Quirk = SmtpQuirk.PiggybackAfter220 });
        Add("slow", 17, leafOnly, s => s with { Quirk = SmtpQuirk.SlowBanner, QuirkDelay = TimeSpan.FromSeconds(3) });
        Add("endless", 18, leafOnly, s => s with { Quirk = SmtpQuirk.EndlessMultilineEhlo });
        Add("oversized", 19, leafOnly, s => s with { Quirk = SmtpQuirk.OversizedReply });
        Add("silent", 20, leafOnly, s => s with { Quirk = SmtpQuirk.SilentAfterConnect });
        Add("wrong-name", 21, wrongName);
        Add("expired-leaf", 22, expiredLeaf);
        Add("cn-only", 23, cnOnly);

        Servers = await ScriptedSmtpServers.StartAsync([.. Hosts.Values]);
    }

    public async Task DisposeAsync()
    {
        await Servers.DisposeAsync();
        Pki.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public string ChainFile(string name) => Path.Combine(Directory, name + ".pem");

    public string KeyFile(string name) => Path.Combine(Directory, name + ".key");

    /// <summary>Writes one certificate as PEM (for openssl x509) and returns its path.</summary>
    public string CertificateFile(X509Certificate2 certificate, string name)
    {
        var path = Path.Combine(Directory, name + ".crt");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
        return path;
    }

    private string Pem(string name, params X509Certificate2[] chain)
    {
        ScriptedSmtpServers.WritePem(ChainFile(name), KeyFile(name), chain);
        return name;
    }

    private void Add(string name, int last, string? pem, Func<SmtpHostSpec, SmtpHostSpec>? change = null)
    {
        var spec = new SmtpHostSpec
        {
            Address = $"127.77.1.{last}",
            BannerName = name + "." + MxName,
            ChainPemFile = pem is null ? null : ChainFile(pem),
            KeyPemFile = pem is null ? null : KeyFile(pem),
        };
        Hosts[name] = change is null ? spec : change(spec);
    }
}

[CollectionDefinition(Name)]
public sealed class TlsLabCollection : ICollectionFixture<TlsLabFixture>
{
    public const string Name = "TLS lab";
}
