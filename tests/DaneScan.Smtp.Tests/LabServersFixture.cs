using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// The lab's scripted SMTP servers (DaneScan.Lab) on 127.88.2.x port 25, one host per behaviour, with
/// lab PKI certificates. Addresses 127.88.0.0/16 belong to the SMTP prober's tests.
/// </summary>
public sealed class LabServersFixture : IAsyncLifetime
{
    public const string MxName = "mx.smtp.lab";

    private readonly string _directory = Directory.CreateTempSubdirectory("danescan-smtp-tests-").FullName;

    public LabPki Pki { get; private set; } = null!;

    public ScriptedSmtpServers Servers { get; private set; } = null!;

    public X509Certificate2 Leaf { get; private set; } = null!;

    public X509Certificate2 RsaLeaf { get; private set; } = null!;

    public Dictionary<string, SmtpHostSpec> Hosts { get; } = [];

    /// <summary>Where a host listens; a closed host's address and port, where nothing listens.</summary>
    public IPEndPoint Endpoint(string name) => Hosts[name] is { Closed: true } closed
        ? new IPEndPoint(IPAddress.Parse(closed.Address), closed.Port)
        : Servers.EndpointOf(Hosts[name]);

    public async Task InitializeAsync()
    {
        Pki = LabPki.Create(DateTimeOffset.UtcNow);
        Leaf = Pki.Issue(Pki.Intermediate, [MxName], LabKeyType.EcdsaP256);
        RsaLeaf = Pki.SelfSigned([MxName], LabKeyType.Rsa2048);
        string full = Pem("full", Leaf, Pki.Intermediate, Pki.Root);
        string leaf = Pem("leaf", Leaf);
        string rsa = Pem("rsa", RsaLeaf);

        Add("full", 1, full);
        Add("leaf", 2, leaf);
        Add("tls12", 3, rsa, s => s with { Protocols = SslProtocols.Tls12 });
        Add("tls13", 4, leaf, s => s with { Protocols = SslProtocols.Tls13 });
        Add("no-starttls", 5, null, s => s with { StartTls = StartTlsBehaviour.NotOffered });
        Add("refused454", 6, null, s => s with { StartTls = StartTlsBehaviour.Refused454 });
        Add("abort", 7, null, s => s with { StartTls = StartTlsBehaviour.AbortHandshake });
        Add("garbage", 8, null, s => s with { StartTls = StartTlsBehaviour.GarbageInsteadOfTls });
        Add("reset", 9, null, s => s with { StartTls = StartTlsBehaviour.ResetMidHandshake });
        Add("closed", 10, null, s => s with { Closed = true });
        Add("slow", 11, leaf, s => s with { Quirk = SmtpQuirk.SlowBanner, QuirkDelay = TimeSpan.FromSeconds(30) });
        Add("endless", 12, leaf, s => s with { Quirk = SmtpQuirk.EndlessMultilineEhlo });
        Add("oversized", 13, leaf, s => s with { Quirk = SmtpQuirk.OversizedReply });
        Add("silent", 14, leaf, s => s with { Quirk = SmtpQuirk.SilentAfterConnect });
        Add("piggyback", 15, leaf, s => s with { Quirk = SmtpQuirk.PiggybackAfter220 });

        Servers = await ScriptedSmtpServers.StartAsync([.. Hosts.Values]);
    }

    public async Task DisposeAsync()
    {
        await Servers.DisposeAsync();
        Pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string Pem(string name, params X509Certificate2[] chain)
    {
        ScriptedSmtpServers.WritePem(Path.Combine(_directory, name + ".pem"), Path.Combine(_directory, name + ".key"), chain);
        return name;
    }

    private void Add(string name, int last, string? pem, Func<SmtpHostSpec, SmtpHostSpec>? change = null)
    {
        var spec = new SmtpHostSpec
        {
            Address = $"127.88.2.{last}",
            BannerName = name + "." + MxName,
            ChainPemFile = pem is null ? null : Path.Combine(_directory, pem + ".pem"),
            KeyPemFile = pem is null ? null : Path.Combine(_directory, pem + ".key"),
        };
        Hosts[name] = change is null ? spec : change(spec);
    }
}
